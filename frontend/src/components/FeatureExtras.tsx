// The feature page's other cards: its settings (name, description, tags, owners…), its
// evaluations per day, and how it reaches Unleash SDKs.
import { Badge, Button, Card, Checkbox, Group, List, MultiSelect, SegmentedControl, Stack, Text, TextInput, Textarea, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
import { api, unwrap, type Schemas } from "../api/client";
import { idsOf, useGroupSummaries, useMembers, useTags } from "../api/queries";
import { ErrorMessage, FormError, Loading, fieldError } from "./common";

type Feature = Schemas["Feature"];

function sameIds(a: number[], b: number[]) {
  return a.length === b.length && a.every((id) => b.includes(id));
}

/** Name, description, server-key only, default for new environments, tags, owners and group owners. */
export function FeatureSettingsCard({ feature, projectId, orgId }: { feature: Feature; projectId: number; orgId?: number }) {
  const queryClient = useQueryClient();
  const tags = useTags(projectId);
  const members = useMembers(orgId);
  const groups = useGroupSummaries(orgId);
  const [name, setName] = useState(feature.name);
  const [description, setDescription] = useState(feature.description ?? "");
  const [serverOnly, setServerOnly] = useState(Boolean(feature.is_server_key_only));
  const [defaultEnabled, setDefaultEnabled] = useState(Boolean(feature.default_enabled));
  const [tagIds, setTagIds] = useState<number[]>(feature.tags ?? []);
  const [owners, setOwners] = useState<number[]>(idsOf(feature.owners));
  const [groupOwners, setGroupOwners] = useState<number[]>(idsOf(feature.group_owners));
  useEffect(() => {
    setName(feature.name);
    setDescription(feature.description ?? "");
    setServerOnly(Boolean(feature.is_server_key_only));
    setDefaultEnabled(Boolean(feature.default_enabled));
    setTagIds(feature.tags ?? []);
    setOwners(idsOf(feature.owners));
    setGroupOwners(idsOf(feature.group_owners));
  }, [feature]);
  const path = { project_pk: String(projectId), id: String(feature.id) };
  const save = useMutation({
    mutationFn: async () => {
      await unwrap(
        api.PATCH("/api/v1/projects/{project_pk}/features/{id}/", {
          params: { path },
          body: { name, description, is_server_key_only: serverOnly, default_enabled: defaultEnabled, tags: tagIds },
        }),
      );
      // Owners change through their own endpoints (an update ignores them, as in Flagsmith).
      const before = idsOf(feature.owners);
      const added = owners.filter((id) => !before.includes(id));
      const removed = before.filter((id) => !owners.includes(id));
      if (added.length) await unwrap(api.POST("/api/v1/projects/{project_pk}/features/{id}/add-owners/", { params: { path }, body: { user_ids: added } }));
      if (removed.length) await unwrap(api.POST("/api/v1/projects/{project_pk}/features/{id}/remove-owners/", { params: { path }, body: { user_ids: removed } }));
      const groupsBefore = idsOf(feature.group_owners);
      const addedGroups = groupOwners.filter((id) => !groupsBefore.includes(id));
      const removedGroups = groupsBefore.filter((id) => !groupOwners.includes(id));
      if (addedGroups.length)
        await unwrap(api.POST("/api/v1/projects/{project_pk}/features/{id}/add-group-owners/", { params: { path }, body: { group_ids: addedGroups } }));
      if (removedGroups.length)
        await unwrap(api.POST("/api/v1/projects/{project_pk}/features/{id}/remove-group-owners/", { params: { path }, body: { group_ids: removedGroups } }));
    },
    onSettled: async () => {
      await queryClient.invalidateQueries({ queryKey: ["feature", feature.id] });
      await queryClient.invalidateQueries({ queryKey: ["features", projectId] });
    },
  });
  const changed =
    name !== feature.name ||
    description !== (feature.description ?? "") ||
    serverOnly !== Boolean(feature.is_server_key_only) ||
    defaultEnabled !== Boolean(feature.default_enabled) ||
    !sameIds(tagIds, feature.tags ?? []) ||
    !sameIds(owners, idsOf(feature.owners)) ||
    !sameIds(groupOwners, idsOf(feature.group_owners));
  return (
    <Card withBorder>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate();
        }}
      >
        <Stack gap="sm">
          <Title order={4}>Settings</Title>
          <TextInput label="Feature name" value={name} onChange={(event) => setName(event.currentTarget.value)} error={fieldError(save.error, "name")} />
          <Textarea label="Description" value={description} onChange={(event) => setDescription(event.currentTarget.value)} autosize minRows={2} error={fieldError(save.error, "description")} />
          <Checkbox
            label="Server-side keys only"
            description="Never sent to client-side (browser, mobile) keys."
            checked={serverOnly}
            onChange={(event) => setServerOnly(event.currentTarget.checked)}
          />
          <Checkbox
            label="Enabled in new environments"
            description="Environments created from now on start with this feature on."
            checked={defaultEnabled}
            onChange={(event) => setDefaultEnabled(event.currentTarget.checked)}
          />
          <MultiSelect
            label="Tags"
            placeholder={tags.data?.length ? "Add tags" : "No tags yet: create them from the features list"}
            data={(tags.data ?? []).map((tag) => ({ value: String(tag.id), label: tag.label }))}
            value={tagIds.map(String)}
            onChange={(next) => setTagIds(next.map(Number))}
            error={fieldError(save.error, "tags")}
            searchable
          />
          <MultiSelect
            label="Owners"
            placeholder="Nobody yet"
            data={(members.data ?? []).map((member) => ({ value: String(member.id), label: member.email }))}
            value={owners.map(String)}
            onChange={(next) => setOwners(next.map(Number))}
            error={fieldError(save.error, "user_ids")}
            searchable
          />
          <MultiSelect
            label="Group owners"
            placeholder="No group"
            data={(groups.data ?? []).map((group) => ({ value: String(group.id), label: group.name }))}
            value={groupOwners.map(String)}
            onChange={(next) => setGroupOwners(next.map(Number))}
            error={fieldError(save.error, "group_ids")}
            searchable
          />
          <FormError error={save.error} fields={["name", "description", "tags", "user_ids", "group_ids"]} title="Feature settings not saved" />
          <Group gap="sm">
            <Button type="submit" disabled={!changed} loading={save.isPending}>
              Save settings
            </Button>
            {save.isSuccess && !changed && (
              <Text size="sm" c="teal" role="status">
                Settings saved
              </Text>
            )}
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

/** Evaluations per day as bars, drawn by hand in SVG (one bar a day, the total above). */
export function EvaluationChart({ days, label }: { days: { day: string; count: number }[]; label: string }) {
  const width = 640;
  const height = 160;
  const max = Math.max(1, ...days.map((day) => day.count));
  const step = width / Math.max(1, days.length);
  const total = days.reduce((sum, day) => sum + day.count, 0);
  return (
    <Stack gap={4}>
      <Text size="sm">
        {total} evaluation{total === 1 ? "" : "s"} in {days.length} days
        {days.length > 0 && `, at most ${Math.max(...days.map((day) => day.count))} a day`}
      </Text>
      <svg viewBox={`0 0 ${width} ${height + 20}`} role="img" aria-label={label} style={{ width: "100%", height: "auto", maxHeight: 220 }}>
        <line x1={0} y1={height} x2={width} y2={height} stroke="var(--mantine-color-gray-4)" />
        {days.map((day, index) => {
          const barHeight = (day.count / max) * (height - 10);
          return (
            <rect
              key={day.day}
              x={index * step + step * 0.15}
              y={height - barHeight}
              width={step * 0.7}
              height={barHeight}
              fill="var(--mantine-color-indigo-6)"
              data-testid="evaluation-bar"
            >
              <title>{`${day.day}: ${day.count}`}</title>
            </rect>
          );
        })}
        {days.length > 0 && (
          <>
            <text x={0} y={height + 15} fontSize={11} fill="var(--mantine-color-gray-7)">
              {days[0].day}
            </text>
            <text x={width} y={height + 15} fontSize={11} textAnchor="end" fill="var(--mantine-color-gray-7)">
              {days[days.length - 1].day}
            </text>
          </>
        )}
      </svg>
    </Stack>
  );
}

export function AnalyticsCard({ feature, projectId, environment }: { feature: Feature; projectId: number; environment: Schemas["Environment"] }) {
  const [period, setPeriod] = useState("7");
  const data = useQuery({
    queryKey: ["evaluations", feature.id, environment.id, period],
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/projects/{project_pk}/features/{feature_pk}/evaluation-data/", {
          params: { path: { project_pk: projectId, feature_pk: feature.id }, query: { environment_id: environment.id, period: Number(period) } },
        }),
      ),
  });
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Group justify="space-between" wrap="wrap">
          <Title order={4}>Evaluations in {environment.name}</Title>
          <SegmentedControl
            aria-label="Period"
            size="xs"
            value={period}
            onChange={setPeriod}
            data={[
              { value: "7", label: "7 days" },
              { value: "30", label: "30 days" },
            ]}
          />
        </Group>
        <Text size="xs" c="dimmed">
          How often SDKs asked for this flag, per day, as they report it (SDKs with analytics turned on).
        </Text>
        {data.isPending && <Loading />}
        <ErrorMessage error={data.error} title="Could not load the evaluations" />
        {data.data && <EvaluationChart days={data.data} label={`Evaluations of ${feature.name} per day in ${environment.name}`} />}
      </Stack>
    </Card>
  );
}

interface Translation {
  name: string;
  translation: "exact" | "shares" | "inexact" | string;
  capped: boolean;
  strategies: number;
  notes: string[];
  served?: boolean;
}

const TRANSLATION_WORDS: Record<string, [string, string]> = {
  exact: ["exact", "Unleash SDKs give every user exactly what Flagsmith SDKs give them."],
  shares: ["same shares", "Percentage splits and variants keep their shares of users, but not which users get what."],
  inexact: ["inexact", "Some rules have no exact Unleash equivalent: some users may get a different value."],
};

export function UnleashCard({ feature, environment }: { feature: Feature; environment: Schemas["Environment"] }) {
  const report = useQuery({
    queryKey: ["unleash-report", environment.api_key],
    queryFn: () =>
      unwrap(api.GET("/api/v1/environments/{api_key}/unleash/", { params: { path: { api_key: environment.api_key } } })) as Promise<{
        max_strategies: number;
        features: Translation[];
      }>,
  });
  const mine = report.data?.features.find((item) => item.name === feature.name);
  const [word, explanation] = mine ? (TRANSLATION_WORDS[mine.translation] ?? [mine.translation, ""]) : ["", ""];
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Title order={4}>Unleash SDKs in {environment.name}</Title>
        {report.isPending && <Loading />}
        <ErrorMessage error={report.error} title="Could not load the Unleash translation" />
        {report.data && !mine && <Text size="sm">This feature is not served to Unleash SDKs here (archived, or server-key only with no server key).</Text>}
        {mine && (
          <>
            <Group gap="xs">
              <Badge color={mine.translation === "exact" ? "teal" : mine.translation === "shares" ? "blue" : "orange"} data-testid="unleash-translation">
                {word}
              </Badge>
              <Text size="sm">
                {mine.strategies} strateg{mine.strategies === 1 ? "y" : "ies"}
                {mine.capped ? ` (capped at ${report.data?.max_strategies})` : ""}
              </Text>
            </Group>
            <Text size="sm" c="dimmed">
              {explanation}
            </Text>
            {mine.notes.length > 0 && (
              <List size="sm">
                {mine.notes.map((note) => (
                  <List.Item key={note}>{note}</List.Item>
                ))}
              </List>
            )}
          </>
        )}
      </Stack>
    </Card>
  );
}
