import { Anchor, Badge, Button, Card, Group, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { api, unwrap, type Schemas } from "../api/client";
import { ConfirmButton, EmptyState, ErrorMessage, FormError, Loading, fieldError, showValue } from "../components/common";
import { ValueInput, type FlagValue } from "../components/ValueInput";

/**
 * One row of featurestates/all/. The schema declares the response as a bare object
 * (the action is annotated ``responses={200: dict}``), so its shape is written here.
 */
export interface EffectiveFlag {
  feature: { id: number; name: string; type: string };
  feature_state_id: number;
  enabled: boolean;
  feature_state_value: FlagValue;
  variant?: string | null;
  overridden_by: "IDENTITY" | "SEGMENT" | null;
  segment?: { id: number; name: string } | null;
}

export function whyItWon(flag: EffectiveFlag): string {
  if (flag.overridden_by === "IDENTITY") return "Identity override";
  if (flag.overridden_by === "SEGMENT") return `Segment override: ${flag.segment?.name ?? "a segment"}`;
  if (flag.feature.type === "MULTIVARIATE") {
    return flag.variant ? `Environment: variant ${flag.variant} of the % split` : "Environment: multivariate % split";
  }
  return "Environment default";
}

type TraitValue = string | number | boolean;

function parseTraitValue(text: string, kind: string): TraitValue {
  if (kind === "number") return Number(text);
  if (kind === "boolean") return text === "true";
  return text;
}

function TraitsCard({ base }: { base: { environment_api_key: string; identity_pk: number } }) {
  const queryClient = useQueryClient();
  const traitsKey = ["traits", String(base.identity_pk)];
  const traits = useQuery({
    queryKey: traitsKey,
    queryFn: () =>
      unwrap(api.GET("/api/v1/environments/{environment_api_key}/identities/{identity_pk}/traits/", { params: { path: base, query: { page_size: 1000 } } })),
  });
  const [key, setKey] = useState("");
  const [value, setValue] = useState<FlagValue>("");
  const refresh = () =>
    Promise.all([queryClient.invalidateQueries({ queryKey: traitsKey }), queryClient.invalidateQueries({ queryKey: ["effective-flags", String(base.identity_pk)] })]);
  const add = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/environments/{environment_api_key}/identities/{identity_pk}/traits/", {
          params: { path: base },
          body: { trait_key: key, trait_value: parseTraitValue(String(value ?? ""), typeof value === "number" ? "number" : typeof value === "boolean" ? "boolean" : "text") },
        }),
      ),
    onSuccess: async () => {
      setKey("");
      setValue("");
      await refresh();
    },
  });
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Title order={4}>Traits</Title>
        {traits.isPending && <Loading />}
        <ErrorMessage error={traits.error} />
        {traits.data && traits.data.results.length === 0 && (
          <Text size="sm" c="dimmed">
            No traits. SDKs send them with identify calls; add one here to see which segments it puts this identity in.
          </Text>
        )}
        {traits.data && traits.data.results.length > 0 && (
          <Table>
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Trait</Table.Th>
                <Table.Th>Value</Table.Th>
                <Table.Th />
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {traits.data.results.map((trait) => (
                <Table.Tr key={trait.id}>
                  <Table.Td>{trait.trait_key}</Table.Td>
                  <Table.Td ff="monospace">
                    {showValue(trait.trait_value)}{" "}
                    <Text span size="xs" c="dimmed">
                      {trait.value_type}
                    </Text>
                  </Table.Td>
                  <Table.Td ta="right">
                    <ConfirmButton
                      size="xs"
                      label="Delete"
                      aria-label={`Delete trait ${trait.trait_key}`}
                      title={`Delete the trait ${trait.trait_key}?`}
                      message="Segments that look at it stop matching this identity on its account."
                      onConfirm={async () => {
                        await unwrap(
                          api.DELETE("/api/v1/environments/{environment_api_key}/identities/{identity_pk}/traits/{id}/", {
                            params: { path: { ...base, id: String(trait.id) } },
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
        )}
        <form
          onSubmit={(event) => {
            event.preventDefault();
            add.mutate();
          }}
        >
          <Group align="flex-start" wrap="wrap" gap="xs">
            <TextInput label="Trait" placeholder="plan" value={key} onChange={(event) => setKey(event.currentTarget.value)} error={fieldError(add.error, "trait_key")} w={180} />
            <div style={{ flex: 1, minWidth: 240 }}>
              <ValueInput label="Trait value" value={value} onChange={setValue} error={fieldError(add.error, "trait_value")} />
            </div>
            <Button type="submit" mt={25} variant="light" loading={add.isPending}>
              Set trait
            </Button>
          </Group>
        </form>
        <FormError error={add.error} fields={["trait_key", "trait_value"]} />
      </Stack>
    </Card>
  );
}

function OverrideEditor({
  flag,
  override,
  base,
  onDone,
}: {
  flag: EffectiveFlag;
  override?: Schemas["IdentityFeatureState"];
  base: { environment_api_key: string; identity_pk: number };
  onDone: () => Promise<unknown>;
}) {
  const [enabled, setEnabled] = useState(flag.enabled);
  const [value, setValue] = useState<FlagValue>(flag.feature_state_value);
  const save = useMutation({
    mutationFn: () =>
      override
        ? unwrap(
            api.PATCH("/api/v1/environments/{environment_api_key}/identities/{identity_pk}/featurestates/{id}/", {
              params: { path: { ...base, id: String(override.id) } },
              body: { enabled, feature_state_value: value },
            }),
          )
        : unwrap(
            api.POST("/api/v1/environments/{environment_api_key}/identities/{identity_pk}/featurestates/", {
              params: { path: base },
              body: { feature: flag.feature.id, enabled, feature_state_value: value },
            }),
          ),
    onSuccess: onDone,
  });
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <Stack gap="xs" p="xs" bg="gray.0">
        <Switch label={`${flag.feature.name} enabled for this identity`} checked={enabled} onChange={(event) => setEnabled(event.currentTarget.checked)} />
        <ValueInput label={`${flag.feature.name} value for this identity`} value={value} onChange={setValue} error={fieldError(save.error, "feature_state_value")} />
        <FormError error={save.error} fields={["feature_state_value"]} />
        <Group gap="xs">
          <Button type="submit" size="xs" loading={save.isPending}>
            Save override
          </Button>
          <Button size="xs" variant="subtle" onClick={() => void onDone()}>
            Cancel
          </Button>
        </Group>
      </Stack>
    </form>
  );
}

export function IdentityDetailPage() {
  const { projectId, envKey = "", identityId = "" } = useParams();
  const base = { environment_api_key: envKey, identity_pk: Number(identityId) };
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [editing, setEditing] = useState<number | null>(null);
  const identity = useQuery({
    queryKey: ["identity", identityId],
    queryFn: () => unwrap(api.GET("/api/v1/environments/{environment_api_key}/identities/{id}/", { params: { path: { environment_api_key: envKey, id: identityId } } })),
  });
  const flags = useQuery({
    queryKey: ["effective-flags", identityId],
    queryFn: async () =>
      (await unwrap(api.GET("/api/v1/environments/{environment_api_key}/identities/{identity_pk}/featurestates/all/", { params: { path: base } }))) as unknown as EffectiveFlag[],
  });
  const overrides = useQuery({
    queryKey: ["identity-overrides", identityId],
    queryFn: () =>
      unwrap(api.GET("/api/v1/environments/{environment_api_key}/identities/{identity_pk}/featurestates/", { params: { path: base, query: { page_size: 1000 } } })),
  });
  const overrideOf = (featureId: number) => overrides.data?.results.find((item) => item.feature === featureId);
  const refresh = async () => {
    setEditing(null);
    await Promise.all([
      queryClient.invalidateQueries({ queryKey: ["effective-flags", identityId] }),
      queryClient.invalidateQueries({ queryKey: ["identity-overrides", identityId] }),
    ]);
  };
  if (identity.isPending) return <Loading />;
  if (identity.error) return <ErrorMessage error={identity.error} onRetry={() => identity.refetch()} />;
  return (
    <Stack>
      <Anchor component={Link} to={`/projects/${projectId}/environments/${envKey}/identities`} size="sm">
        ← All identities
      </Anchor>
      <Group justify="space-between" wrap="wrap">
        <Title order={2}>{identity.data.identifier}</Title>
        <ConfirmButton
          label="Delete identity"
          title={`Delete ${identity.data.identifier}?`}
          message="Its traits and overrides are deleted. If an SDK identifies it again, it comes back without them."
          onConfirm={async () => {
            await unwrap(api.DELETE("/api/v1/environments/{environment_api_key}/identities/{id}/", { params: { path: { environment_api_key: envKey, id: identityId } } }));
            await queryClient.invalidateQueries({ queryKey: ["identities", envKey] });
            navigate(`/projects/${projectId}/environments/${envKey}/identities`);
          }}
        />
      </Group>
      <TraitsCard base={base} />
      <Card withBorder>
        <Stack gap="sm">
          <Title order={4}>Flags for this identity</Title>
          <Text size="sm" c="dimmed">
            What an SDK gets for this identity now, and why: an identity override beats a segment override, which beats the environment value.
          </Text>
          {flags.isPending && <Loading />}
          <ErrorMessage error={flags.error ?? overrides.error} />
          {flags.data && flags.data.length === 0 && <EmptyState title="No features in this project yet" />}
          {flags.data && flags.data.length > 0 && (
            <Table.ScrollContainer minWidth={640}>
              <Table verticalSpacing="xs">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>Feature</Table.Th>
                    <Table.Th>Enabled</Table.Th>
                    <Table.Th>Value</Table.Th>
                    <Table.Th>Why</Table.Th>
                    <Table.Th />
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {flags.data.map((flag) => {
                    const override = overrideOf(flag.feature.id);
                    return [
                      <Table.Tr key={flag.feature.id} data-testid={`flag-${flag.feature.name}`}>
                        <Table.Td fw={600}>{flag.feature.name}</Table.Td>
                        <Table.Td>
                          <Badge color={flag.enabled ? "teal" : "gray"} variant="light">
                            {flag.enabled ? "on" : "off"}
                          </Badge>
                        </Table.Td>
                        <Table.Td ff="monospace">{showValue(flag.feature_state_value)}</Table.Td>
                        <Table.Td>
                          <Text size="sm" data-testid="why">
                            {whyItWon(flag)}
                          </Text>
                        </Table.Td>
                        <Table.Td>
                          <Group gap={4} justify="flex-end" wrap="nowrap">
                            <Button size="xs" variant="light" onClick={() => setEditing(editing === flag.feature.id ? null : flag.feature.id)} aria-label={`${override ? "Edit" : "Override"} ${flag.feature.name} for this identity`}>
                              {override ? "Edit override" : "Override"}
                            </Button>
                            {override && (
                              <ConfirmButton
                                size="xs"
                                label="Remove"
                                aria-label={`Remove the ${flag.feature.name} override`}
                                title={`Remove the ${flag.feature.name} override?`}
                                message="This identity gets the segment or environment value again."
                                confirmLabel="Remove"
                                onConfirm={async () => {
                                  await unwrap(
                                    api.DELETE("/api/v1/environments/{environment_api_key}/identities/{identity_pk}/featurestates/{id}/", {
                                      params: { path: { ...base, id: String(override.id) } },
                                    }),
                                  );
                                  await refresh();
                                }}
                              />
                            )}
                          </Group>
                        </Table.Td>
                      </Table.Tr>,
                      editing === flag.feature.id && (
                        <Table.Tr key={`${flag.feature.id}-edit`}>
                          <Table.Td colSpan={5}>
                            <OverrideEditor flag={flag} override={override} base={base} onDone={refresh} />
                          </Table.Td>
                        </Table.Tr>
                      ),
                    ];
                  })}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Stack>
      </Card>
    </Stack>
  );
}
