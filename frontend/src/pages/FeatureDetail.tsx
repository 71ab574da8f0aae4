import { ActionIcon, Anchor, Badge, Button, Card, Group, NumberInput, Select, Stack, Switch, Table, Text, Title } from "@mantine/core";
import { useMutation, useQueries, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import { useEnvironmentStates } from "../api/features";
import { keys, useEnvironments, useProject } from "../api/queries";
import { AnalyticsCard, FeatureSettingsCard, UnleashCard } from "../components/FeatureExtras";
import { describeChange, useConfirm } from "../features/safeChange";
import { ConfirmButton, EmptyState, ErrorMessage, FormError, Loading, fieldError, showValue } from "../components/common";
import { ValueInput, type FlagValue } from "../components/ValueInput";

type Feature = Schemas["Feature"];
type FeatureState = Schemas["FeatureState"];
type Option = Schemas["MultivariateFeatureOption"];

export function optionValue(option: Option): FlagValue {
  if (option.type === "int") return option.integer_value ?? null;
  if (option.type === "bool") return option.boolean_value ?? null;
  return option.string_value ?? null;
}

type Shares = Record<number, number>;

function sharesOf(feature: Feature, state: FeatureState): Shares {
  const shares: Shares = {};
  for (const option of feature.multivariate_options ?? []) shares[option.id] = 0;
  for (const share of state.multivariate_feature_state_values ?? []) shares[share.multivariate_feature_option] = share.percentage_allocation ?? 0;
  return shares;
}

/** A feature state's editor: enabled, value and, for multivariate features, the variants' shares. */
function StateEditor({
  feature,
  state,
  label,
  onSave,
  compact,
}: {
  feature: Feature;
  state: FeatureState;
  label: string;
  onSave: (body: Schemas["PatchedFeatureStateRequest"]) => Promise<unknown>;
  compact?: boolean;
}) {
  const [enabled, setEnabled] = useState(Boolean(state.enabled));
  const [value, setValue] = useState<FlagValue>(state.feature_state_value ?? null);
  const [shares, setShares] = useState<Shares>(() => sharesOf(feature, state));
  useEffect(() => {
    setEnabled(Boolean(state.enabled));
    setValue(state.feature_state_value ?? null);
    setShares(sharesOf(feature, state));
  }, [feature, state]);
  const save = useMutation({
    mutationFn: () =>
      onSave({
        enabled,
        feature_state_value: value,
        ...(feature.type === "MULTIVARIATE"
          ? {
              multivariate_feature_state_values: Object.entries(shares).map(([option, percentage]) => ({
                multivariate_feature_option: Number(option),
                percentage_allocation: percentage,
              })),
            }
          : {}),
      }),
  });
  const total = Object.values(shares).reduce((sum, share) => sum + share, 0);
  const options = feature.multivariate_options ?? [];
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <Stack gap="sm">
        <Switch label={`Enabled ${label}`} checked={enabled} onChange={(event) => setEnabled(event.currentTarget.checked)} />
        <ValueInput
          label={feature.type === "MULTIVARIATE" ? `Control value ${label}` : `Value ${label}`}
          value={value}
          onChange={setValue}
          error={fieldError(save.error, "feature_state_value")}
        />
        {feature.type === "MULTIVARIATE" && options.length > 0 && (
          <Stack gap={4}>
            <Text size="sm" fw={500}>
              Variant allocations {label}
            </Text>
            {options.map((option, index) => (
              <Group key={option.id} gap="xs" wrap="nowrap">
                <Text size="sm" ff="monospace" style={{ flex: 1 }} truncate>
                  {showValue(optionValue(option))}
                </Text>
                <NumberInput
                  aria-label={`Allocation of variant ${index + 1} ${label}`}
                  size={compact ? "xs" : "sm"}
                  w={110}
                  min={0}
                  max={100}
                  suffix="%"
                  value={shares[option.id] ?? 0}
                  onChange={(next) => setShares({ ...shares, [option.id]: Number(next) || 0 })}
                />
              </Group>
            ))}
            <Text size="xs" c={total > 100 ? "red" : "dimmed"}>
              {total}% in variants; {Math.max(0, 100 - total)}% get the control value.
            </Text>
            {fieldError(save.error, "multivariate_feature_state_values") && (
              <Text size="sm" c="red">
                {fieldError(save.error, "multivariate_feature_state_values")}
              </Text>
            )}
          </Stack>
        )}
        <FormError error={save.error} fields={["feature_state_value", "multivariate_feature_state_values"]} />
        <Group gap="sm">
          <Button type="submit" size={compact ? "xs" : "sm"} loading={save.isPending}>
            Save {label}
          </Button>
          {save.isSuccess && !save.isPending && (
            <Text size="sm" c="teal" role="status">
              Saved
            </Text>
          )}
        </Group>
      </Stack>
    </form>
  );
}

function VariantsCard({ feature, projectId }: { feature: Feature; projectId: number }) {
  const queryClient = useQueryClient();
  const [value, setValue] = useState<FlagValue>("");
  const [allocation, setAllocation] = useState(0);
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ["feature", feature.id] }),
      queryClient.invalidateQueries({ queryKey: ["feature-states"] }),
    ]);
  const add = useMutation({
    mutationFn: () => {
      const body: Schemas["MultivariateFeatureOptionRequest"] =
        typeof value === "number"
          ? { type: "int", integer_value: value }
          : typeof value === "boolean"
            ? { type: "bool", boolean_value: value }
            : { type: "unicode", string_value: String(value ?? "") };
      return unwrap(
        api.POST("/api/v1/projects/{project_pk}/features/{feature_pk}/mv-options/", {
          params: { path: { project_pk: String(projectId), feature_pk: String(feature.id) } },
          body: { ...body, default_percentage_allocation: allocation },
        }),
      );
    },
    onSuccess: async () => {
      setValue("");
      setAllocation(0);
      await refresh();
    },
  });
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Title order={4}>Variants</Title>
        <Text size="sm" c="dimmed">
          Each identity gets one variant, by a stable hash of its identifier; the default % applies to new environments.
        </Text>
        <Table>
          <Table.Thead>
            <Table.Tr>
              <Table.Th>Value</Table.Th>
              <Table.Th>Default %</Table.Th>
              <Table.Th />
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {(feature.multivariate_options ?? []).map((option) => (
              <Table.Tr key={option.id}>
                <Table.Td ff="monospace">{showValue(optionValue(option))}</Table.Td>
                <Table.Td>{option.default_percentage_allocation ?? 0}%</Table.Td>
                <Table.Td ta="right">
                  <ConfirmButton
                    size="xs"
                    label="Remove"
                    aria-label={`Remove variant ${showValue(optionValue(option))}`}
                    title="Remove this variant?"
                    message="Identities that got it fall back to the other variants or the control value in every environment."
                    confirmLabel="Remove"
                    onConfirm={async () => {
                      await unwrap(
                        api.DELETE("/api/v1/projects/{project_pk}/features/{feature_pk}/mv-options/{id}/", {
                          params: { path: { project_pk: String(projectId), feature_pk: String(feature.id), id: String(option.id) } },
                        }),
                      );
                      await refresh();
                    }}
                  />
                </Table.Td>
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
        <form
          onSubmit={(event) => {
            event.preventDefault();
            add.mutate();
          }}
        >
          <Group align="flex-start" wrap="wrap" gap="xs">
            <div style={{ flex: 1, minWidth: 260 }}>
              <ValueInput label="New variant value" value={value} onChange={setValue} error={fieldError(add.error, "string_value")} />
            </div>
            <NumberInput label="Default %" w={110} min={0} max={100} value={allocation} onChange={(next) => setAllocation(Number(next) || 0)} />
            <Button type="submit" mt={25} variant="light" loading={add.isPending}>
              Add variant
            </Button>
          </Group>
        </form>
        <FormError error={add.error} fields={["string_value"]} />
      </Stack>
    </Card>
  );
}

function SegmentOverrides({ feature, environment, projectId }: { feature: Feature; environment: Schemas["Environment"]; projectId: number }) {
  const queryClient = useQueryClient();
  const overridesKey = ["segment-overrides", feature.id, environment.id];
  const overrides = useQuery({
    queryKey: overridesKey,
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/features/feature-segments/", {
          params: { query: { feature: feature.id, environment: environment.id, page_size: 100 } },
        }),
      ),
  });
  const states = useQueries({
    queries: (overrides.data?.results ?? []).map((override) => ({
      queryKey: ["segment-override-state", override.id],
      queryFn: () =>
        unwrap(
          api.GET("/api/v1/environments/{environment_api_key}/featurestates/", {
            params: { path: { environment_api_key: environment.api_key }, query: { feature_segment: override.id } },
          }),
        ).then((page) => page.results[0]),
    })),
  });
  const segments = useQuery({
    queryKey: [...keys.segments(projectId), "all"],
    queryFn: () =>
      unwrap(api.GET("/api/v1/projects/{project_pk}/segments/", { params: { path: { project_pk: String(projectId) }, query: { page_size: 1000 } } })),
  });
  const [segmentId, setSegmentId] = useState<string | null>(null);
  const refresh = () => queryClient.invalidateQueries({ queryKey: overridesKey });
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/environments/{environment_api_key}/features/{feature_pk}/create-segment-override/", {
          params: { path: { environment_api_key: environment.api_key, feature_pk: feature.id } },
          body: { feature_segment: { segment: Number(segmentId) } },
        }),
      ),
    onSuccess: async () => {
      setSegmentId(null);
      await refresh();
    },
  });
  const reorder = useMutation({
    mutationFn: (ids: number[]) =>
      unwrap(api.POST("/api/v1/features/feature-segments/update-priorities/", { body: ids.map((id, priority) => ({ id, priority })) })),
    onSettled: refresh,
  });
  const list = overrides.data?.results ?? [];
  const move = (index: number, by: number) => {
    const ids = list.map((item) => item.id);
    const [moved] = ids.splice(index, 1);
    ids.splice(index + by, 0, moved);
    reorder.mutate(ids);
  };
  const used = new Set(list.map((item) => item.segment));
  const available = (segments.data?.results ?? []).filter((segment) => !used.has(segment.id) && (!segment.feature || segment.feature === feature.id));

  return (
    <Card withBorder>
      <Stack gap="sm">
        <Title order={4}>Segment overrides in {environment.name}</Title>
        <Text size="sm" c="dimmed">
          An identity in a segment gets that override instead of the environment value; the first matching segment wins,
          so order matters.
        </Text>
        {overrides.isPending && <Loading />}
        <ErrorMessage error={overrides.error ?? reorder.error} title={reorder.error ? "Order not saved" : undefined} />
        {overrides.data && list.length === 0 && (
          <Text size="sm" c="dimmed">
            No segment overrides yet. {available.length === 0 && segments.data ? "Create a segment first, then come back. " : "Pick a segment below."}
          </Text>
        )}
        {list.map((override, index) => {
          const state = states[index]?.data;
          return (
            <Card key={override.id} withBorder padding="sm" data-testid={`override-${override.segment_name}`}>
              <Stack gap="xs">
                <Group justify="space-between" wrap="wrap">
                  <Group gap="xs">
                    <Badge variant="light">{index + 1}</Badge>
                    <Anchor component={Link} to={`/projects/${projectId}/segments/${override.segment}`} fw={600}>
                      {override.segment_name}
                    </Anchor>
                  </Group>
                  <Group gap={4}>
                    <ActionIcon
                      variant="default"
                      aria-label={`Move ${override.segment_name} up`}
                      disabled={index === 0 || reorder.isPending}
                      onClick={() => move(index, -1)}
                    >
                      ↑
                    </ActionIcon>
                    <ActionIcon
                      variant="default"
                      aria-label={`Move ${override.segment_name} down`}
                      disabled={index === list.length - 1 || reorder.isPending}
                      onClick={() => move(index, 1)}
                    >
                      ↓
                    </ActionIcon>
                    <ConfirmButton
                      size="xs"
                      label="Remove"
                      aria-label={`Remove the ${override.segment_name} override`}
                      title={`Remove the ${override.segment_name} override?`}
                      message={`Identities in ${override.segment_name} get the environment value (or a later override) again.`}
                      confirmLabel="Remove"
                      onConfirm={async () => {
                        await unwrap(api.DELETE("/api/v1/features/feature-segments/{id}/", { params: { path: { id: String(override.id) } } }));
                        await refresh();
                      }}
                    />
                  </Group>
                </Group>
                {state ? (
                  <StateEditor
                    compact
                    feature={feature}
                    state={state}
                    label={`for ${override.segment_name}`}
                    onSave={async (body) => {
                      await unwrap(
                        api.PATCH("/api/v1/environments/{environment_api_key}/featurestates/{id}/", {
                          params: { path: { environment_api_key: environment.api_key, id: String(state.id) } },
                          body,
                        }),
                      );
                      await queryClient.invalidateQueries({ queryKey: ["segment-override-state", override.id] });
                    }}
                  />
                ) : (
                  <Loading />
                )}
              </Stack>
            </Card>
          );
        })}
        <form
          onSubmit={(event) => {
            event.preventDefault();
            add.mutate();
          }}
        >
          <Group align="flex-start" wrap="wrap" gap="xs">
            <Select
              label="Add an override for segment"
              placeholder={available.length ? "Choose a segment" : "No other segment to add"}
              data={available.map((segment) => ({ value: String(segment.id), label: segment.name }))}
              value={segmentId}
              onChange={setSegmentId}
              searchable
              error={fieldError(add.error, "segment") ?? fieldError(add.error, "feature_segment")}
              style={{ flex: 1, minWidth: 220 }}
            />
            <Button type="submit" mt={25} disabled={!segmentId} loading={add.isPending}>
              Add override
            </Button>
          </Group>
        </form>
        <FormError error={add.error} fields={["segment", "feature_segment"]} />
      </Stack>
    </Card>
  );
}

export function FeatureDetailPage() {
  const { projectId: projectParam, envKey = "", featureId: featureParam } = useParams();
  const projectId = Number(projectParam);
  const featureId = Number(featureParam);
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const feature = useQuery({
    queryKey: ["feature", featureId],
    queryFn: () =>
      unwrap(api.GET("/api/v1/projects/{project_pk}/features/{id}/", { params: { path: { project_pk: String(projectId), id: String(featureId) } } })),
  });
  const states = useEnvironmentStates(envKey);
  const environments = useEnvironments(projectId);
  const environment = environments.data?.find((item) => item.api_key === envKey);
  const state = states.data?.[featureId];
  const project = useProject(projectId);
  const confirm = useConfirm();
  const archive = useMutation({
    mutationFn: (archived: boolean) =>
      unwrap(
        api.PATCH("/api/v1/projects/{project_pk}/features/{id}/", {
          params: { path: { project_pk: String(projectId), id: String(featureId) } },
          body: { is_archived: archived },
        }),
      ),
    onSuccess: async (saved) => {
      queryClient.setQueryData(["feature", featureId], saved);
      await queryClient.invalidateQueries({ queryKey: keys.features(projectId) });
    },
  });

  if (feature.isPending || states.isPending) return <Loading />;
  if (feature.error) return <ErrorMessage error={feature.error} onRetry={() => feature.refetch()} />;
  if (states.error) return <ErrorMessage error={states.error} onRetry={() => states.refetch()} />;
  const data = feature.data;
  return (
    <Stack>
      <Anchor component={Link} to={`/projects/${projectId}/environments/${envKey}/features`} size="sm">
        ← All features
      </Anchor>
      <Group justify="space-between" wrap="wrap">
        <Stack gap={2}>
          <Group gap="xs">
            <Title order={2}>{data.name}</Title>
            <Badge variant="light" color={data.type === "MULTIVARIATE" ? "grape" : "gray"}>
              {(data.type ?? "STANDARD").toLowerCase()}
            </Badge>
          </Group>
          {data.description && <Text c="dimmed">{data.description}</Text>}
        </Stack>
        <Group gap="xs">
          {data.is_archived && (
            <Badge color="gray" variant="outline">
              archived
            </Badge>
          )}
          <Button variant="default" loading={archive.isPending} onClick={() => archive.mutate(!data.is_archived)}>
            {data.is_archived ? "Unarchive" : "Archive"}
          </Button>
        <ConfirmButton
          label="Delete feature"
          title={`Delete ${data.name}?`}
          message={`${data.name} disappears from every environment; SDKs stop receiving it and code asking for it gets the default it was written with. This cannot be undone: to hide it but keep it served, archive it instead.`}
          onConfirm={async () => {
            await unwrap(api.DELETE("/api/v1/projects/{project_pk}/features/{id}/", { params: { path: { project_pk: String(projectId), id: String(featureId) } } }));
            await queryClient.invalidateQueries({ queryKey: keys.features(projectId) });
            navigate(`/projects/${projectId}/environments/${envKey}/features`);
          }}
        />
        </Group>
      </Group>
      <ErrorMessage error={archive.error} title={data.is_archived ? "Not unarchived" : "Not archived"} />
      {data.is_archived && (
        <Text size="sm" c="dimmed">
          Archived: hidden from the features list (unless its filter shows archived features), still served to SDKs.
        </Text>
      )}
      <Card withBorder>
        <Stack gap="sm">
          <Group gap="xs">
            <Title order={4}>Value in {environment?.name ?? "this environment"}</Title>
            {environment?.protected && (
              <Badge color="orange" variant="light">
                protected
              </Badge>
            )}
          </Group>
          {state ? (
            <StateEditor
              feature={data}
              state={state}
              label={`in ${environment?.name ?? "this environment"}`}
              onSave={async (body) => {
                if (environment?.protected) {
                  const yes = await confirm.ask(
                    `Change ${environment.name}?`,
                    `${describeChange(data.name, environment.name, {
                      enabled: body.enabled ?? undefined,
                      value: body.feature_state_value,
                      valueChanged: body.feature_state_value !== state.feature_state_value,
                    })} ${environment.name} is protected: SDKs there get the change within seconds.`,
                    "Save the change",
                  );
                  if (!yes) throw new Error("Not saved: the change was cancelled.");
                }
                const saved = await unwrap(
                  api.PATCH("/api/v1/environments/{environment_api_key}/featurestates/{id}/", {
                    params: { path: { environment_api_key: envKey, id: String(state.id) } },
                    body,
                  }),
                );
                queryClient.setQueryData<Record<number, FeatureState>>(keys.featureStates(envKey), (all) => (all ? { ...all, [saved.feature]: saved } : all));
              }}
            />
          ) : (
            <EmptyState title="No value in this environment">This feature has no state here yet; reload in a moment.</EmptyState>
          )}
        </Stack>
      </Card>
      {data.type === "MULTIVARIATE" && <VariantsCard feature={data} projectId={projectId} />}
      {environment && <SegmentOverrides feature={data} environment={environment} projectId={projectId} />}
      <FeatureSettingsCard feature={data} projectId={projectId} orgId={project.data?.organisation} />
      {environment && <AnalyticsCard feature={data} projectId={projectId} environment={environment} />}
      {environment && <UnleashCard feature={data} environment={environment} />}
      {confirm.dialog}
    </Stack>
  );
}
