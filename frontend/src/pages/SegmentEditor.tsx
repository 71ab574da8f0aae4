import { Anchor, Button, Group, Stack, Text, TextInput, Textarea, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap } from "../api/client";
import { keys } from "../api/queries";
import { ConfirmButton, ErrorMessage, FormError, Loading, fieldError } from "../components/common";
import { RuleEditor, fromApi, newRule, toApi, type RuleDraft } from "../components/RuleEditor";

export function SegmentEditorPage() {
  const { projectId: projectParam, segmentId } = useParams();
  const projectId = Number(projectParam);
  const isNew = !segmentId;
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const segment = useQuery({
    queryKey: ["segment", Number(segmentId)],
    enabled: !isNew,
    queryFn: () =>
      unwrap(api.GET("/api/v1/projects/{project_pk}/segments/{id}/", { params: { path: { project_pk: String(projectId), id: String(segmentId) } } })),
  });
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [rules, setRules] = useState<RuleDraft[]>(() => [{ ...newRule("ALL"), conditions: [], rules: [newRule("ANY")] }]);
  useEffect(() => {
    if (segment.data) {
      setName(segment.data.name);
      setDescription(segment.data.description ?? "");
      setRules(segment.data.rules.map(fromApi));
    }
  }, [segment.data]);
  const save = useMutation({
    mutationFn: () => {
      const body = { name, description, rules: rules.map(toApi) };
      return isNew
        ? unwrap(api.POST("/api/v1/projects/{project_pk}/segments/", { params: { path: { project_pk: String(projectId) } }, body }))
        : unwrap(api.PUT("/api/v1/projects/{project_pk}/segments/{id}/", { params: { path: { project_pk: String(projectId), id: String(segmentId) } }, body }));
    },
    onSuccess: async (saved) => {
      await queryClient.invalidateQueries({ queryKey: keys.segments(projectId) });
      queryClient.setQueryData(["segment", saved.id], saved);
      if (isNew) navigate(`/projects/${projectId}/segments/${saved.id}`, { replace: true });
    },
  });
  if (!isNew && segment.isPending) return <Loading />;
  if (!isNew && segment.error) return <ErrorMessage error={segment.error} onRetry={() => segment.refetch()} />;
  const rulesError = fieldError(save.error, "rules");
  return (
    <Stack>
      <Anchor component={Link} to={`/projects/${projectId}/segments`} size="sm">
        ← All segments
      </Anchor>
      <Group justify="space-between">
        <Title order={2}>{isNew ? "New segment" : `Segment ${segment.data?.name ?? ""}`}</Title>
        {!isNew && (
          <ConfirmButton
            label="Delete segment"
            title={`Delete ${segment.data?.name}?`}
            message="Its segment overrides in every environment are deleted too; identities in it get the environment values again."
            onConfirm={async () => {
              await unwrap(api.DELETE("/api/v1/projects/{project_pk}/segments/{id}/", { params: { path: { project_pk: String(projectId), id: String(segmentId) } } }));
              await queryClient.invalidateQueries({ queryKey: keys.segments(projectId) });
              navigate(`/projects/${projectId}/segments`);
            }}
          />
        )}
      </Group>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate();
        }}
      >
        <Stack>
          <TextInput label="Name" required value={name} onChange={(event) => setName(event.currentTarget.value)} error={fieldError(save.error, "name")} />
          <Textarea label="Description" value={description} onChange={(event) => setDescription(event.currentTarget.value)} autosize minRows={2} />
          <Text fw={500}>Rules</Text>
          <Text size="sm" c="dimmed">
            An identity is in the segment when every top-level group matches. Conditions compare the identity's traits.
          </Text>
          {rules.map((rule, index) => (
            <RuleEditor
              key={rule.key}
              rule={rule}
              label={`Rule ${index + 1}`}
              path={["rules", index]}
              error={save.error}
              onChange={(next) => setRules(rules.map((item, i) => (i === index ? next : item)))}
              onRemove={rules.length > 1 ? () => setRules(rules.filter((_, i) => i !== index)) : undefined}
            />
          ))}
          {rulesError && (
            <Text c="red" size="sm" role="alert">
              {rulesError}
            </Text>
          )}
          <Group>
            <Button variant="default" onClick={() => setRules([...rules, newRule("ALL")])}>
              + Top-level rule
            </Button>
          </Group>
          <FormError error={save.error} fields={["name", "rules"]} />
          <Group>
            <Button type="submit" loading={save.isPending}>
              {isNew ? "Create segment" : "Save segment"}
            </Button>
            {save.isSuccess && !save.isPending && (
              <Text c="teal" size="sm" role="status">
                Saved
              </Text>
            )}
            {save.error && (
              <Text c="red" size="sm" role="alert">
                Not saved: see the messages above.
              </Text>
            )}
          </Group>
        </Stack>
      </form>
    </Stack>
  );
}
