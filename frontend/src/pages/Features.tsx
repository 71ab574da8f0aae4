import {
  ActionIcon,
  Anchor,
  Badge,
  Button,
  Checkbox,
  Group,
  Modal,
  MultiSelect,
  NumberInput,
  SegmentedControl,
  Select,
  SimpleGrid,
  Stack,
  Switch,
  Table,
  Text,
  TextInput,
  Textarea,
} from "@mantine/core";
import { useDebouncedCallback } from "@mantine/hooks";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { Link, useNavigate, useParams, useSearchParams } from "react-router";
import { PAGE_SIZE, api, unwrap, type Schemas } from "../api/client";
import { useEnvironmentStates, useToggleFeature } from "../api/features";
import { keys, useAllFeatures, useEnvironments, useGroupSummaries, useMembers, useProject, useTags } from "../api/queries";
import { EmptyState, ErrorMessage, FormError, Loading, PageTitle, Pager, fieldError, showValue } from "../components/common";
import { TagBadge, TagsModal } from "../components/Tags";
import { ValueInput, type FlagValue } from "../components/ValueInput";
import { applyFilters, defaultFilters, isFiltered, readFilters, writeFilters, type FeatureFilters } from "../features/filters";
import { UndoBar, describeChange, useConfirm, useUndo } from "../features/safeChange";

type FeatureState = Schemas["FeatureState"];
type Environment = Schemas["Environment"];

/**
 * A flag's switch in the list. In a protected environment it asks first (naming feature,
 * environment and new value); elsewhere it changes at once and offers an undo.
 */
function FeatureToggle({
  feature,
  state,
  environment,
  confirm,
  offerUndo,
}: {
  feature: Schemas["Feature"];
  state?: FeatureState;
  environment?: Environment;
  confirm: ReturnType<typeof useConfirm>["ask"];
  offerUndo: ReturnType<typeof useUndo>["offerUndo"];
}) {
  const toggle = useToggleFeature(environment?.api_key ?? "");
  const change = async (enabled: boolean) => {
    if (!state || !environment) return;
    toggle.reset();
    if (environment.protected) {
      const yes = await confirm(
        `Change ${environment.name}?`,
        <>
          {describeChange(feature.name, environment.name, { enabled })} {environment.name} is protected: SDKs there get the
          change within seconds.
        </>,
        enabled ? `Turn ${feature.name} on` : `Turn ${feature.name} off`,
      );
      if (!yes) return;
      toggle.mutate({ state, enabled });
      return;
    }
    toggle.mutate(
      { state, enabled },
      {
        onSuccess: (saved) =>
          offerUndo(`${feature.name} turned ${enabled ? "on" : "off"} in ${environment.name}.`, () =>
            toggle.mutate({ state: saved, enabled: !enabled }),
          ),
      },
    );
  };
  return (
    <Stack gap={2} align="flex-end">
      <Switch
        aria-label={`${feature.name} enabled`}
        checked={Boolean(state?.enabled)}
        disabled={!state || !environment}
        onChange={(event) => void change(event.currentTarget.checked)}
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

const SORTS = [
  { value: "name:asc", label: "Name, A to Z" },
  { value: "name:desc", label: "Name, Z to A" },
  { value: "created:desc", label: "Newest first" },
  { value: "created:asc", label: "Oldest first" },
];

function FilterBar({ projectId, orgId, filters, onChange }: { projectId: number; orgId?: number; filters: FeatureFilters; onChange: (next: Partial<FeatureFilters>) => void }) {
  const tags = useTags(projectId);
  const members = useMembers(orgId);
  const groups = useGroupSummaries(orgId);
  // The text fields update the address a moment after typing stops.
  const [search, setSearch] = useState(filters.search);
  const [value, setValue] = useState(filters.value);
  const pushSearch = useDebouncedCallback((next: string) => onChange({ search: next }), 250);
  const pushValue = useDebouncedCallback((next: string) => onChange({ value: next }), 250);
  return (
    <Stack gap="xs" mb="md">
      <SimpleGrid cols={{ base: 1, sm: 2 }} spacing="xs">
        <TextInput
          aria-label="Search features"
          placeholder="Search features by name"
          value={search}
          onChange={(event) => {
            setSearch(event.currentTarget.value);
            pushSearch(event.currentTarget.value);
          }}
        />
        <TextInput
          aria-label="Search values"
          placeholder="Search by value in this environment"
          value={value}
          onChange={(event) => {
            setValue(event.currentTarget.value);
            pushValue(event.currentTarget.value);
          }}
        />
      </SimpleGrid>
      <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="xs">
        <Group gap={4} wrap="nowrap" align="flex-end">
          <MultiSelect
            label="Tags"
            placeholder={filters.tags.length ? undefined : "Any tag"}
            data={(tags.data ?? []).map((tag) => ({ value: String(tag.id), label: tag.label }))}
            value={filters.tags.map(String)}
            onChange={(next) => onChange({ tags: next.map(Number) })}
            clearable
            style={{ flex: 1, minWidth: 0 }}
          />
          <SegmentedControl
            aria-label="Tag strategy"
            size="xs"
            mb={4}
            style={{ flexShrink: 0 }}
            value={filters.tagStrategy}
            onChange={(next) => onChange({ tagStrategy: next as "any" | "all" })}
            data={[
              { value: "any", label: "any" },
              { value: "all", label: "all" },
            ]}
          />
        </Group>
        <MultiSelect
          label="Owners"
          placeholder={filters.owners.length || filters.groupOwners.length ? undefined : "Anyone"}
          data={[
            { group: "People", items: (members.data ?? []).map((member) => ({ value: `u${member.id}`, label: member.email })) },
            { group: "Groups", items: (groups.data ?? []).map((group) => ({ value: `g${group.id}`, label: group.name })) },
          ]}
          value={[...filters.owners.map((id) => `u${id}`), ...filters.groupOwners.map((id) => `g${id}`)]}
          onChange={(next) =>
            onChange({
              owners: next.filter((item) => item.startsWith("u")).map((item) => Number(item.slice(1))),
              groupOwners: next.filter((item) => item.startsWith("g")).map((item) => Number(item.slice(1))),
            })
          }
          clearable
          searchable
        />
        <Select
          label="State"
          data={[
            { value: "any", label: "On or off" },
            { value: "on", label: "On in this environment" },
            { value: "off", label: "Off in this environment" },
          ]}
          value={filters.enabled}
          allowDeselect={false}
          onChange={(next) => onChange({ enabled: (next ?? "any") as FeatureFilters["enabled"] })}
        />
        <Select
          label="Archived"
          data={[
            { value: "hide", label: "Hide archived" },
            { value: "show", label: "Include archived" },
            { value: "only", label: "Only archived" },
          ]}
          value={filters.archived}
          allowDeselect={false}
          onChange={(next) => onChange({ archived: (next ?? "hide") as FeatureFilters["archived"] })}
        />
      </SimpleGrid>
      <Group justify="space-between" wrap="wrap">
        <Select
          aria-label="Sort"
          size="xs"
          w={180}
          data={SORTS}
          value={`${filters.sort}:${filters.direction}`}
          allowDeselect={false}
          onChange={(next) => {
            const [sort, direction] = (next ?? "name:asc").split(":");
            onChange({ sort: sort as FeatureFilters["sort"], direction: direction as FeatureFilters["direction"] });
          }}
        />
        {isFiltered(filters) && (
          <Button
            size="xs"
            variant="subtle"
            onClick={() => {
              setSearch("");
              setValue("");
              onChange({ ...defaultFilters, sort: filters.sort, direction: filters.direction });
            }}
          >
            Clear filters
          </Button>
        )}
      </Group>
    </Stack>
  );
}

export function FeaturesPage() {
  const { projectId: projectParam, envKey = "" } = useParams();
  const projectId = Number(projectParam);
  const [params, setParams] = useSearchParams();
  const filters = readFilters(params);
  const [creating, setCreating] = useState(false);
  const [managingTags, setManagingTags] = useState(false);
  const project = useProject(projectId);
  const environments = useEnvironments(projectId);
  const environment = environments.data?.find((item) => item.api_key === envKey);
  const features = useAllFeatures(projectId);
  const states = useEnvironmentStates(envKey);
  const tags = useTags(projectId);
  const confirm = useConfirm();
  const undo = useUndo();
  const update = (next: Partial<FeatureFilters>) =>
    // Any change of filter starts again from the first page.
    setParams(writeFilters({ ...filters, page: 1, ...next }), { replace: true });

  const shown = features.data ? applyFilters(features.data, states.data, filters) : [];
  const pages = Math.max(1, Math.ceil(shown.length / PAGE_SIZE));
  const visible = shown.slice((filters.page - 1) * PAGE_SIZE, filters.page * PAGE_SIZE);
  const tagById = new Map((tags.data ?? []).map((tag) => [tag.id, tag]));
  const archivedCount = features.data?.filter((feature) => feature.is_archived).length ?? 0;

  return (
    <>
      <PageTitle title={environment ? `Features · ${environment.name}` : "Features"}>
        {environment?.protected && (
          <Badge color="orange" variant="light" size="lg">
            protected
          </Badge>
        )}
        <Button variant="default" onClick={() => setManagingTags(true)}>
          Tags
        </Button>
        <Button variant="default" component={Link} to={`/projects/${projectId}/compare`}>
          Compare environments
        </Button>
        <Button onClick={() => setCreating(true)}>Create feature</Button>
      </PageTitle>
      {features.data && features.data.length > 0 && (
        <FilterBar projectId={projectId} orgId={project.data?.organisation} filters={filters} onChange={update} />
      )}
      {features.isPending && <Loading label="Loading features…" />}
      <ErrorMessage error={features.error ?? states.error} title="Could not load the features" onRetry={() => void features.refetch()} />
      {features.data && features.data.length === 0 && (
        <EmptyState title="No features yet" action={<Button onClick={() => setCreating(true)}>Create your first feature</Button>}>
          A feature is a flag your code asks for: on or off, with an optional value, per environment.
        </EmptyState>
      )}
      {features.data && features.data.length > 0 && shown.length === 0 && (
        <EmptyState title={filters.search ? `No feature matches “${filters.search}”` : "No feature matches these filters"}>
          {archivedCount > 0 && filters.archived === "hide"
            ? `Try other filters; ${archivedCount} archived feature${archivedCount === 1 ? " is" : "s are"} hidden.`
            : "Try part of the name, or clear the filters."}
        </EmptyState>
      )}
      {shown.length > 0 && filters.page > pages && (
        <EmptyState title="No such page" action={<Button onClick={() => update({ page: 1 })}>Back to the first page</Button>} />
      )}
      {visible.length > 0 && (
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
                {visible.map((feature) => {
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
                            {feature.is_archived && (
                              <Badge size="xs" variant="outline" color="gray">
                                archived
                              </Badge>
                            )}
                            {feature.is_server_key_only && (
                              <Badge size="xs" variant="light" color="dark">
                                server-key only
                              </Badge>
                            )}
                            {(feature.tags ?? []).map((id) => {
                              const tag = tagById.get(id);
                              return tag ? <TagBadge key={id} tag={tag} /> : null;
                            })}
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
                        <FeatureToggle feature={feature} state={state} environment={environment} confirm={confirm.ask} offerUndo={undo.offerUndo} />
                      </Table.Td>
                    </Table.Tr>
                  );
                })}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
          <Pager page={filters.page} count={shown.length} pageSize={PAGE_SIZE} onChange={(next) => setParams(writeFilters({ ...filters, page: next }))} />
        </>
      )}
      {confirm.dialog}
      {undo.offer && <UndoBar key={undo.offer.id} label={undo.offer.label} onUndo={undo.undo} onDismiss={undo.dismiss} />}
      <CreateFeatureModal projectId={projectId} opened={creating} onClose={() => setCreating(false)} />
      <TagsModal projectId={projectId} opened={managingTags} onClose={() => setManagingTags(false)} />
    </>
  );
}
