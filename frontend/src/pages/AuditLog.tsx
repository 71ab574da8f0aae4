import { Alert, Badge, Button, Card, Code, Collapse, Group, Select, SimpleGrid, Stack, Table, Text, TextInput } from "@mantine/core";
import { useDebouncedValue, useMediaQuery } from "@mantine/hooks";
import { keepPreviousData, useQueries, useQuery } from "@tanstack/react-query";
import { useState } from "react";
import { useParams, useSearchParams } from "react-router";
import { PAGE_SIZE, api, unwrap, type Schemas } from "../api/client";
import { holds, useMembers, useMyPermissions } from "../api/permissions";
import { keys, useEnvironments, useOrganisations, useProject, useProjects } from "../api/queries";
import { AuditNamesContext, fieldLabel, useAuditNames, valueWords, type AuditNames } from "../components/auditWords";
import { EmptyState, ErrorMessage, Loading, PageTitle, Pager } from "../components/common";

type Entry = Schemas["AuditLog"];
type Change = { old?: unknown; new?: unknown };

// The kinds of object the audit log names (audit.services.object_type_of).
const OBJECT_TYPES = [
  "FEATURE",
  "FEATURE_STATE",
  "MULTIVARIATE_OPTION",
  "SEGMENT",
  "SEGMENT_OVERRIDE",
  "TAG",
  "PROJECT",
  "ENVIRONMENT",
  "SERVER_KEY",
  "IDENTITY",
  "TRAIT",
  "ORGANISATION",
  "MEMBERSHIP",
  "USER_GROUP",
  "ORGANISATION_API_KEY",
  "ORGANISATION_PERMISSION",
  "PROJECT_PERMISSION",
  "ENVIRONMENT_PERMISSION",
];

const ACTIONS: Record<string, { label: string; color: string }> = {
  CREATE: { label: "Created", color: "teal" },
  UPDATE: { label: "Updated", color: "blue" },
  DELETE: { label: "Deleted", color: "red" },
};

const SOURCES: Record<string, string> = { API: "admin API", ADMIN: "Django admin", COMMAND: "a management command" };

export function words(name: string): string {
  const text = name.toLowerCase().replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** The start (or end) of a yyyy-mm-dd day in the browser's time zone, as the API's ISO date-time. */
function dayBoundary(day: string, end: boolean): string | undefined {
  if (!day) return undefined;
  const date = new Date(`${day}T${end ? "23:59:59.999" : "00:00:00"}`);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

/** The audit log of an organisation (``/organisations/:orgId/audit``) or of one project. */
export function AuditLogPage() {
  const params = useParams();
  const projectScope = params.projectId ? Number(params.projectId) : undefined;
  const project = useProject(projectScope);
  const orgId = params.orgId ? Number(params.orgId) : project.data?.organisation;
  const organisations = useOrganisations();
  const organisation = organisations.data?.results.find((item) => item.id === orgId);
  const my = useMyPermissions(projectScope ? { kind: "project", id: projectScope } : orgId ? { kind: "organisation", id: orgId } : undefined);
  const mayRead = projectScope ? holds(my.data, "VIEW_AUDIT_LOG") : Boolean(my.data);

  const [search, setSearchParams] = useSearchParams();
  const filter = (name: string) => search.get(name) ?? "";
  const page = Number(search.get("page") ?? 1);
  const [text, setText] = useState(filter("q"));
  const [debounced] = useDebouncedValue(text, 300);
  const setFilter = (name: string, value: string | null) => {
    const next = new URLSearchParams(search);
    if (value) next.set(name, value);
    else next.delete(name);
    if (name === "project") next.delete("environment");
    next.delete("page");
    setSearchParams(next, { replace: true });
  };

  const projects = useProjects(orgId);
  const projectFilter = projectScope ?? (filter("project") ? Number(filter("project")) : undefined);
  const members = useMembers(orgId);
  // Environment names for every project on screen (a project's environments are one small list).
  const projectIds = projectScope ? [projectScope] : (projects.data ?? []).map((item) => item.id);
  const environmentLists = useQueries({
    queries: projectIds.map((id) => ({
      queryKey: keys.environments(id),
      queryFn: () => unwrap(api.GET("/api/v1/projects/{id}/environments/", { params: { path: { id: String(id) } } })),
    })),
  });
  const environments = environmentLists.flatMap((list) => list.data ?? []);
  const featureLists = useQueries({
    queries: projectIds.map((id) => ({
      queryKey: [...keys.features(id), "all"],
      queryFn: () => unwrap(api.GET("/api/v1/projects/{project_pk}/features/", { params: { path: { project_pk: String(id) }, query: { page_size: 1000 } } })).then((page) => page.results),
    })),
  });
  const segmentLists = useQueries({
    queries: projectIds.map((id) => ({
      queryKey: [...keys.segments(id), "all"],
      queryFn: () => unwrap(api.GET("/api/v1/projects/{project_pk}/segments/", { params: { path: { project_pk: String(id) }, query: { page_size: 1000 } } })),
    })),
  });
  const tagLists = useQueries({
    queries: projectIds.map((id) => ({
      queryKey: ["tags", id],
      queryFn: () => unwrap(api.GET("/api/v1/projects/{project_pk}/tags/", { params: { path: { project_pk: String(id) }, query: { page_size: 1000 } } })).then((page) => page.results),
    })),
  });
  const names: AuditNames = {
    feature: new Map(featureLists.flatMap((list) => list.data ?? []).map((item) => [item.id, item.name])),
    environment: new Map(environments.map((item) => [item.id, item.name])),
    segment: new Map(segmentLists.flatMap((list) => list.data?.results ?? []).map((item) => [item.id, item.name])),
    project: new Map((projects.data ?? []).map((item) => [item.id, item.name])),
    user: new Map((members.data ?? []).map((item) => [item.id, item.email])),
    tag: new Map(tagLists.flatMap((list) => list.data ?? []).map((item) => [item.id, item.label])),
    organisation: new Map((organisations.data?.results ?? []).map((item) => [item.id, item.name])),
  };
  const filterEnvironments = useEnvironments(projectFilter);

  const query = {
    page,
    page_size: PAGE_SIZE,
    search: debounced || undefined,
    project: projectScope ? undefined : projectFilter,
    environment: filter("environment") ? Number(filter("environment")) : undefined,
    author: filter("author") ? Number(filter("author")) : undefined,
    related_object_type: filter("type") || undefined,
    action: (filter("action") || undefined) as Entry["action"] | undefined,
    since: dayBoundary(filter("since"), false),
    until: dayBoundary(filter("until"), true),
  };
  const entries = useQuery({
    queryKey: ["audit", projectScope ? `project-${projectScope}` : `org-${orgId}`, query],
    enabled: Boolean(orgId) && mayRead,
    placeholderData: keepPreviousData,
    queryFn: () =>
      projectScope
        ? unwrap(api.GET("/api/v1/projects/{project_pk}/audit/", { params: { path: { project_pk: String(projectScope) }, query } }))
        : unwrap(api.GET("/api/v1/organisations/{organisation_pk}/audit/", { params: { path: { organisation_pk: String(orgId!) }, query } })),
  });
  // At phone width the filters fold away (they would fill the first screen); wider, they are always shown.
  const wide = useMediaQuery("(min-width: 48em)", true);
  const [filtersOpen, setFiltersOpen] = useState(false);
  const filtered = Boolean(debounced || filter("environment") || filter("author") || filter("type") || filter("action") || filter("since") || filter("until") || (!projectScope && filter("project")));

  const showFilters = wide || filtersOpen;

  const projectName = (id: number | null) => (projects.data ?? []).find((item) => item.id === id)?.name ?? project.data?.name;
  const environmentName = (id: number | null) => environments.find((item) => item.id === id)?.name;

  return (
    <>
      <PageTitle title={projectScope ? `Audit log · ${project.data?.name ?? "project"}` : `Audit log · ${organisation?.name ?? "organisation"}`} />
      <Stack>
        {my.isPending && <Loading />}
        <ErrorMessage error={my.error} />
        {my.data && !mayRead && (
          <Alert color="gray" title="You cannot read this project's audit log">
            It needs the “View audit log” permission on the project. Ask a project or organisation admin for it.
          </Alert>
        )}
        {mayRead && (
          <>
            {!projectScope && !my.data?.admin && (
              <Text size="sm" c="dimmed">
                You see the entries of the projects where you hold “View audit log”. Organisation admins see every entry.
              </Text>
            )}
            <Button variant="light" size="xs" hiddenFrom="sm" w="fit-content" onClick={() => setFiltersOpen(!filtersOpen)} aria-expanded={showFilters}>
              {showFilters ? "Hide the filters" : filtered ? "Filters (some set)" : "Filters"}
            </Button>
            <Collapse in={showFilters}>
            <Card withBorder p="sm">
              <Stack gap="xs">
                <TextInput
                  label="Search"
                  aria-label="Search the audit log"
                  placeholder="Words in the entry, e.g. a feature's name"
                  value={text}
                  onChange={(event) => {
                    setText(event.currentTarget.value);
                    setFilter("q", event.currentTarget.value);
                  }}
                />
                <SimpleGrid cols={{ base: 1, xs: 2, md: 4 }} spacing="xs">
                  {!projectScope && (
                    <Select
                      label="Project"
                      placeholder="Any project"
                      data={(projects.data ?? []).map((item) => ({ value: String(item.id), label: item.name }))}
                      value={filter("project") || null}
                      onChange={(value) => setFilter("project", value)}
                      clearable
                    />
                  )}
                  <Select
                    label="Environment"
                    placeholder={projectFilter ? "Any environment" : "Choose a project first"}
                    disabled={!projectFilter}
                    data={(filterEnvironments.data ?? []).map((item) => ({ value: String(item.id), label: item.name }))}
                    value={filter("environment") || null}
                    onChange={(value) => setFilter("environment", value)}
                    clearable
                  />
                  <Select
                    label="Author"
                    placeholder="Anyone"
                    data={(members.data ?? []).map((member) => ({ value: String(member.id), label: member.email }))}
                    value={filter("author") || null}
                    onChange={(value) => setFilter("author", value)}
                    searchable
                    clearable
                  />
                  <Select
                    label="Object type"
                    placeholder="Any type"
                    data={OBJECT_TYPES.map((type) => ({ value: type, label: words(type) }))}
                    value={filter("type") || null}
                    onChange={(value) => setFilter("type", value)}
                    searchable
                    clearable
                  />
                  <Select
                    label="Action"
                    placeholder="Any action"
                    data={Object.entries(ACTIONS).map(([value, { label }]) => ({ value, label }))}
                    value={filter("action") || null}
                    onChange={(value) => setFilter("action", value)}
                    clearable
                  />
                  <TextInput label="From" type="date" value={filter("since")} onChange={(event) => setFilter("since", event.currentTarget.value)} />
                  <TextInput label="To" type="date" value={filter("until")} onChange={(event) => setFilter("until", event.currentTarget.value)} />
                </SimpleGrid>
                {filtered && (
                  <Button
                    variant="subtle"
                    size="xs"
                    w="fit-content"
                    onClick={() => {
                      setText("");
                      setSearchParams({}, { replace: true });
                    }}
                  >
                    Clear the filters
                  </Button>
                )}
              </Stack>
            </Card>
            </Collapse>
            {entries.isPending && <Loading label="Loading the audit log…" />}
            <ErrorMessage error={entries.error} onRetry={() => entries.refetch()} />
            {entries.data && entries.data.count === 0 &&
              (filtered ? (
                <EmptyState title="No entry matches these filters">Widen the dates or clear a filter.</EmptyState>
              ) : (
                <EmptyState title="Nothing has changed yet">Every change to features, segments, environments, identities and permissions appears here.</EmptyState>
              ))}
            {entries.data && entries.data.count > 0 && (
              <AuditNamesContext.Provider value={names}>
              <Stack gap="xs" aria-label="Audit log entries" component="ul" p={0} m={0} style={{ listStyle: "none", opacity: entries.isPlaceholderData ? 0.6 : 1 }}>
                {entries.data.results.map((entry) => (
                  <AuditEntry
                    key={entry.id}
                    entry={entry}
                    where={[!projectScope && entry.project ? projectName(entry.project) : undefined, environmentName(entry.environment)].filter(Boolean).join(" / ")}
                  />
                ))}
              </Stack>
              </AuditNamesContext.Provider>
            )}
            {entries.data && entries.data.count > 0 && (
              <Pager page={page} count={entries.data.count} pageSize={PAGE_SIZE} onChange={(next) => setSearchParams((prev) => { const copy = new URLSearchParams(prev); copy.set("page", String(next)); return copy; })} />
            )}
          </>
        )}
      </Stack>
    </>
  );
}

function who(entry: Entry): string {
  const author = entry.author as { email?: string } | null;
  const key = entry.api_key as { name?: string; prefix?: string } | null;
  if (author?.email) return author.email;
  if (key) return `API key ${key.name ?? ""} (${key.prefix ?? "?"}…)`.replace("  ", " ");
  return entry.is_system_event ? "the system" : "someone no longer known";
}

export function AuditEntry({ entry, where }: { entry: Entry; where?: string }) {
  const action = ACTIONS[entry.action] ?? { label: entry.action, color: "gray" };
  const when = new Date(entry.created_date);
  return (
    <Card withBorder p="sm" component="li" data-testid={`audit-entry-${entry.id}`}>
      <Stack gap={6}>
        <Group gap="xs" wrap="nowrap" align="flex-start">
          <Badge color={action.color} variant="light" style={{ flexShrink: 0 }}>
            {action.label}
          </Badge>
          <Text size="sm" fw={500} style={{ wordBreak: "break-word" }}>
            {entry.log}
          </Text>
        </Group>
        <Text size="xs" c="dimmed">
          By <b>{who(entry)}</b> ·{" "}
          <time dateTime={entry.created_date} title={when.toISOString()}>
            {when.toLocaleString()}
          </time>
          {where ? ` · ${where}` : ""} · {words(entry.related_object_type)}
          {entry.source !== "API" ? ` · through ${SOURCES[entry.source] ?? entry.source}` : ""}
        </Text>
        <ChangesTable action={entry.action} changes={entry.changes as Record<string, Change> | null} />
      </Stack>
    </Card>
  );
}

function Value({ value: raw, tone, field }: { value: unknown; tone: "old" | "new"; field: string }) {
  const names = useAuditNames();
  const spoken = valueWords(field, raw, names);
  const value: unknown = spoken ?? raw;
  if (value === null || value === undefined || value === "") {
    return (
      <Text span size="xs" c="dimmed" fs="italic">
        {value === "" ? "empty" : "none"}
      </Text>
    );
  }
  const colour = tone === "old" ? "var(--mantine-color-red-0)" : "var(--mantine-color-green-0)";
  // A list of plain values (permission keys, member ids) reads best on one line.
  const flat = Array.isArray(value) && value.every((item) => item === null || typeof item !== "object");
  if (flat && value.length === 0) {
    return (
      <Text span size="xs" c="dimmed" fs="italic">
        empty list
      </Text>
    );
  }
  const text = flat ? value.join(", ") : typeof value === "object" ? JSON.stringify(value, null, 2) : String(value);
  const block = (typeof value === "object" && !flat) || text.length > 60;
  return block ? (
    <Code block style={{ background: colour, maxHeight: 200, overflow: "auto", whiteSpace: "pre-wrap", wordBreak: "break-word" }}>
      {text}
    </Code>
  ) : (
    <Code style={{ background: colour, wordBreak: "break-word" }}>{text}</Code>
  );
}

/** The fields that changed: before and after, side by side; a creation shows what was set, a deletion what was there. */
export function ChangesTable({ action, changes }: { action: string; changes: Record<string, Change> | null | undefined }) {
  const [open, setOpen] = useState(false);
  const fields = Object.entries(changes ?? {});
  if (fields.length === 0) return null;
  const shown = open ? fields : fields.slice(0, 6);
  const showOld = action !== "CREATE";
  const showNew = action !== "DELETE";
  return (
    <>
      <Table.ScrollContainer minWidth={280}>
        <Table withTableBorder verticalSpacing={4} fz="xs" aria-label="Changed fields" layout="fixed">
          <Table.Thead>
            <Table.Tr>
              <Table.Th w="28%">Field</Table.Th>
              {showOld && <Table.Th>{showNew ? "Before" : "Was"}</Table.Th>}
              {showNew && <Table.Th>{showOld ? "After" : "Set to"}</Table.Th>}
            </Table.Tr>
          </Table.Thead>
          <Table.Tbody>
            {shown.map(([field, change]) => (
              <Table.Tr key={field}>
                <Table.Td style={{ overflowWrap: "break-word" }}>{fieldLabel(field)}</Table.Td>
                {showOld && (
                  <Table.Td>
                    <Value value={change?.old} tone="old" field={field} />
                  </Table.Td>
                )}
                {showNew && (
                  <Table.Td>
                    <Value value={change?.new} tone="new" field={field} />
                  </Table.Td>
                )}
              </Table.Tr>
            ))}
          </Table.Tbody>
        </Table>
      </Table.ScrollContainer>
      {fields.length > 6 && (
        <Button variant="subtle" size="compact-xs" w="fit-content" onClick={() => setOpen(!open)}>
          {open ? "Show fewer fields" : `Show all ${fields.length} fields`}
        </Button>
      )}
    </>
  );
}
