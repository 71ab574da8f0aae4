import {
  ActionIcon,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  NumberInput,
  SegmentedControl,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
} from "@mantine/core";
import { useDebouncedValue } from "@mantine/hooks";
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { ApiError, PAGE_SIZE, api, unwrap, type Schemas } from "../api/client";
import { useEnvironmentStates, useToggleFeature } from "../api/features";
import { keys, useEnvironments, useProject } from "../api/queries";
import { EmptyState, ErrorMessage, FormError, Loading, PageTitle, Pager, fieldError, showValue } from "../components/common";
import { ValueInput, type FlagValue } from "../components/ValueInput";

type FeatureState = Schemas["FeatureState"];

function FeatureToggle({ feature, state, envKey }: { feature: Schemas["Feature"]; state?: FeatureState; envKey: string }) {
  const toggle = useToggleFeature(envKey);
  return (
    <Stack gap={2} align="flex-end">
      <Switch
        aria-label={`${feature.name} enabled`}
        checked={Boolean(state?.enabled)}
        disabled={!state}
        onChange={(event) => {
          toggle.reset();
          if (state) toggle.mutate({ state, enabled: event.currentTarget.checked });
        }}
      />
      {toggle.error && (
        <Text size="xs" c="red" role="alert" maw={220} ta="right">
          Not changed: {toggle.error.message}
        </Text>
      )}
    </Stack>
  );
}

interface VariantDraft {
  value: FlagValue;
  allocation: number;
}

function optionBody(draft: VariantDraft): Schemas["MultivariateFeatureOptionRequest"] {
  const allocation = { default_percentage_allocation: draft.allocation };
  if (typeof draft.value === "number") return { type: "int", integer_value: draft.value, ...allocation };
  if (typeof draft.value === "boolean") return { type: "bool", boolean_value: draft.value, ...allocation };
  return { type: "unicode", string_value: String(draft.value ?? ""), ...allocation };
}

export function CreateFeatureModal({ projectId, opened, onClose }: { projectId: number; opened: boolean; onClose: () => void }) {
  const { envKey } = useParams();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const [type, setType] = useState<"STANDARD" | "MULTIVARIATE">("STANDARD");
  const [enabled, setEnabled] = useState(false);
  const [value, setValue] = useState<FlagValue>("");
  const [variants, setVariants] = useState<VariantDraft[]>([{ value: "", allocation: 50 }]);
  const project = useProject(projectId);
  // With the project's "prevent flag defaults" (the default), a new feature starts off and
  // empty in every environment; as in Flagsmith, what was entered goes to this environment.
  const perEnvironment = Boolean(project.data?.prevent_flag_defaults && envKey);
  const create = useMutation({
    mutationFn: async () => {
      const feature = await unwrap(
        api.POST("/api/v1/projects/{project_pk}/features/", {
          params: { path: { project_pk: String(projectId) } },
          body: {
            name,
            description,
            type,
            default_enabled: enabled,
            initial_value: value === null || value === "" ? null : String(value),
            multivariate_options: type === "MULTIVARIATE" ? variants.map(optionBody) : [],
          },
        }),
      );
      if (perEnvironment && (enabled || (value !== "" && value !== null))) {
        const states = await unwrap(
          api.GET("/api/v1/environments/{environment_api_key}/featurestates/", {
            params: { path: { environment_api_key: envKey! }, query: { feature: feature.id } },
          }),
        );
        const state = states.results[0];
        if (state) {
          await unwrap(
            api.PATCH("/api/v1/environments/{environment_api_key}/featurestates/{id}/", {
              params: { path: { environment_api_key: envKey!, id: String(state.id) } },
              body: { enabled, feature_state_value: value === "" ? null : value },
            }),
          );
        }
      }
      return feature;
    },
    onSuccess: async (feature) => {
      await queryClient.invalidateQueries({ queryKey: keys.features(projectId) });
      await queryClient.invalidateQueries({ queryKey: ["feature-states"] });
      onClose();
      setName("");
      setDescription("");
      setVariants([{ value: "", allocation: 50 }]);
      if (envKey) navigate(`/projects/${projectId}/environments/${envKey}/features/${feature.id}`);
    },
  });
  const total = variants.reduce((sum, variant) => sum + (variant.allocation || 0), 0);
  return (
    <Modal opened={opened} onClose={onClose} title="Create a feature" size="lg">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create.mutate();
        }}
      >
        <Stack>
          <TextInput
            label="Name"
            description="What your code asks for, e.g. new_checkout"
            required
            value={name}
            onChange={(event) => setName(event.currentTarget.value)}
            error={fieldError(create.error, "name")}
            data-autofocus
          />
          <Textarea label="Description" value={description} onChange={(event) => setDescription(event.currentTarget.value)} autosize minRows={2} />
          <SegmentedControl
            aria-label="Feature type"
            value={type}
            onChange={(next) => setType(next as "STANDARD" | "MULTIVARIATE")}
            data={[
              { value: "STANDARD", label: "Standard (on/off and a value)" },
              { value: "MULTIVARIATE", label: "Multivariate (variants by %)" },
            ]}
          />
          <Checkbox
            label={perEnvironment ? "Enabled in this environment" : "Enabled by default in every environment"}
            checked={enabled}
            onChange={(event) => setEnabled(event.currentTarget.checked)}
          />
          {perEnvironment && (
            <Text size="xs" c="dimmed">
              This project starts new features off and without a value in its other environments (its “prevent flag
              defaults” setting); the value below applies to this environment.
            </Text>
          )}
          <ValueInput label={type === "MULTIVARIATE" ? "Control value" : "Value"} value={value} onChange={setValue} error={fieldError(create.error, "initial_value")} />
          {type === "MULTIVARIATE" && (
            <Stack gap="xs">
              <Text fw={500} size="sm">
                Variants
              </Text>
              {variants.map((variant, index) => (
                <Group key={index} align="flex-start" wrap="wrap" gap="xs">
                  <div style={{ flex: 1, minWidth: 240 }}>
                    <ValueInput
                      label={`Variant ${index + 1} value`}
                      value={variant.value}
                      onChange={(next) => setVariants(variants.map((item, i) => (i === index ? { ...item, value: next } : item)))}
                      error={fieldError(create.error, "multivariate_options", index, "string_value")}
                    />
                  </div>
                  <NumberInput
                    label="Default %"
                    min={0}
                    max={100}
                    w={110}
                    value={variant.allocation}
                    onChange={(next) => setVariants(variants.map((item, i) => (i === index ? { ...item, allocation: Number(next) || 0 } : item)))}
                  />
                  <ActionIcon
                    mt={28}
                    variant="subtle"
                    color="red"
                    aria-label={`Remove variant ${index + 1}`}
                    onClick={() => setVariants(variants.filter((_, i) => i !== index))}
                  >
                    ✕
                  </ActionIcon>
                </Group>
              ))}
              <Group justify="space-between">
                <Button variant="light" size="xs" onClick={() => setVariants([...variants, { value: "", allocation: 0 }])}>
                  Add variant
                </Button>
                <Text size="sm" c={total > 100 ? "red" : "dimmed"}>
                  {total}% in variants, {Math.max(0, 100 - total)}% get the control value
                </Text>
              </Group>
              {fieldError(create.error, "multivariate_options") && (
                <Text c="red" size="sm">
                  {fieldError(create.error, "multivariate_options")}
                </Text>
              )}
            </Stack>
          )}
          <FormError error={create.error} fields={["name", "initial_value", "multivariate_options"]} />
          <Group justify="flex-end">
            <Button variant="default" onClick={onClose}>
              Cancel
            </Button>
            <Button type="submit" loading={create.isPending}>
              Create feature
            </Button>
          </Group>
        </Stack>
      </form>
    </Modal>
  );
}

export function FeaturesPage() {
  const { projectId: projectParam, envKey = "" } = useParams();
  const projectId = Number(projectParam);
  const [params, setParams] = useSearchParams();
  const page = Number(params.get("page") ?? 1);
  const [search, setSearch] = useState(params.get("q") ?? "");
  const [debounced] = useDebouncedValue(search, 250);
  const [creating, setCreating] = useState(false);
  const environments = useEnvironments(projectId);
  const environment = environments.data?.find((item) => item.api_key === envKey);
  const features = useQuery({
    queryKey: [...keys.features(projectId), { page, search: debounced }],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_pk}/features/", {
          params: {
            path: { project_pk: String(projectId) },
            query: { page, page_size: PAGE_SIZE, search: debounced || undefined, sort_field: "name", sort_direction: "ASC" },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const states = useEnvironmentStates(envKey);
  const setSearchParam = (q: string) => {
    setSearch(q);
    setParams(q ? { q } : {}, { replace: true });
  };
  const notFound = features.error instanceof ApiError && features.error.status === 404 && page > 1;

  return (
    <>
      <PageTitle title={environment ? `Features · ${environment.name}` : "Features"}>
        <Button onClick={() => setCreating(true)}>Create feature</Button>
      </PageTitle>
      <TextInput
        aria-label="Search features"
        placeholder="Search features by name"
        value={search}
        onChange={(event) => setSearchParam(event.currentTarget.value)}
        mb="md"
      />
      {features.isPending && <Loading label="Loading features…" />}
      {!notFound && <ErrorMessage error={features.error ?? states.error} onRetry={() => void features.refetch()} />}
      {notFound && <EmptyState title="No such page" action={<Button onClick={() => setParams({})}>Back to the first page</Button>} />}
      {features.data && features.data.count === 0 && (
        debounced ? (
          <EmptyState title={`No feature matches “${debounced}”`}>Try part of the name, or clear the search.</EmptyState>
        ) : (
          <EmptyState title="No features yet" action={<Button onClick={() => setCreating(true)}>Create your first feature</Button>}>
            A feature is a flag your code asks for: on or off, with an optional value, per environment.
          </EmptyState>
        )
      )}
      {features.data && features.data.count > 0 && (
        <>
          <Table.ScrollContainer minWidth={300}>
            <Table verticalSpacing="sm" highlightOnHover>
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>Feature</Table.Th>
                  <Table.Th visibleFrom="sm">Value</Table.Th>
                  <Table.Th ta="right">Enabled</Table.Th>
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {features.data.results.map((feature) => {
                  const state = states.data?.[feature.id];
                  return (
                    <Table.Tr key={feature.id} data-testid={`feature-row-${feature.name}`}>
                      <Table.Td>
                        <Stack gap={2}>
                          <Group gap="xs">
                            <Anchor component={Link} to={`/projects/${projectId}/environments/${envKey}/features/${feature.id}`} fw={600}>
                              {feature.name}
                            </Anchor>
                            {feature.type === "MULTIVARIATE" && (
                              <Badge size="xs" variant="light" color="grape">
                                multivariate
                              </Badge>
                            )}
                          </Group>
                          {feature.description && (
                            <Text size="xs" c="dimmed" lineClamp={1}>
                              {feature.description}
                            </Text>
                          )}
                        </Stack>
                      </Table.Td>
                      <Table.Td visibleFrom="sm">
                        <Text size="sm" ff="monospace" lineClamp={1} maw={260}>
                          {state ? showValue(state.feature_state_value) : "…"}
                        </Text>
                      </Table.Td>
                      <Table.Td>
                        <FeatureToggle feature={feature} state={state} envKey={envKey} />
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Pager
            page={page}
            count={features.data.count}
            pageSize={PAGE_SIZE}
            onChange={(next) => setParams({ ...(search ? { q: search } : {}), page: String(next) })}
          />
        </>
      )}
      <CreateFeatureModal projectId={projectId} opened={creating} onClose={() => setCreating(false)} />
    </>
  );
}
