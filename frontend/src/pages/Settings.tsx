// Settings screens: an environment's, a project's and an organisation's, each saying which
// permission a change needs when the API refuses it.
import { Alert, Badge, Button, Card, Checkbox, ColorInput, Group, NumberInput, Select, Stack, Switch, Text, TextInput, Textarea, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { useEffect, useState, type ReactNode } from "react";
import { Link, useParams } from "react-router";
import { ApiError, api, unwrap, type Schemas } from "../api/client";
import { keys, useEnvironments, useOrganisations, useProject } from "../api/queries";
import { ErrorMessage, FormError, Loading, PageTitle, fieldError } from "../components/common";
import { WebhooksPanel } from "../components/Webhooks";

/** A refused save: for a 403, what permission it needs and whom to ask; otherwise the API's words. */
export function SaveError({ error, needs, fields = [] }: { error: unknown; needs: string; fields?: string[] }) {
  if (error instanceof ApiError && error.status === 403) {
    return (
      <Alert color="orange" title="Not saved: you may not change these settings" role="alert">
        Changing them needs {needs}. You can read them, but only someone with that permission can change them: ask an
        administrator of your organisation.
      </Alert>
    );
  }
  return <FormError error={error} fields={fields} title="Settings not saved" />;
}

function Saved({ when }: { when: boolean }) {
  if (!when) return null;
  return (
    <Text size="sm" c="teal" role="status">
      Settings saved
    </Text>
  );
}

function Section({ title, children }: { title: string; children: ReactNode }) {
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Title order={4}>{title}</Title>
        {children}
      </Stack>
    </Card>
  );
}

type EnvironmentPatch = Schemas["PatchedEnvironmentRequest"] & { protected?: boolean };

function EnvironmentForm({ environment, projectId }: { environment: Schemas["Environment"]; projectId: number }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<EnvironmentPatch>({});
  useEffect(() => setDraft({}), [environment]);
  const value = <K extends keyof EnvironmentPatch>(key: K) => (key in draft ? draft[key] : (environment as EnvironmentPatch)[key]);
  const set = (patch: EnvironmentPatch) => setDraft({ ...draft, ...patch });
  const save = useMutation({
    mutationFn: () =>
      unwrap(api.PATCH("/api/v1/environments/{api_key}/", { params: { path: { api_key: environment.api_key } }, body: draft })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: keys.environments(projectId) });
    },
  });
  const hide = value("hide_disabled_flags");
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <Stack>
        <Section title="General">
          <TextInput label="Environment name" value={value("name") ?? ""} onChange={(event) => set({ name: event.currentTarget.value })} error={fieldError(save.error, "name")} />
          <Textarea label="Description" value={value("description") ?? ""} onChange={(event) => set({ description: event.currentTarget.value })} autosize minRows={2} />
          <Group align="flex-start" wrap="wrap">
            <TextInput
              label="Banner text"
              description="Shown at the top of this environment's pages"
              value={value("banner_text") ?? ""}
              onChange={(event) => set({ banner_text: event.currentTarget.value || null })}
              style={{ flex: 1, minWidth: 220 }}
              error={fieldError(save.error, "banner_text")}
            />
            <ColorInput
              label="Banner colour"
              description="Any CSS colour, e.g. #e03131"
              value={value("banner_colour") ?? ""}
              onChange={(next) => set({ banner_colour: next || null })}
              w={200}
              format="hex"
              error={fieldError(save.error, "banner_colour")}
            />
          </Group>
          <Switch
            label="Protected"
            description="The dashboard asks for confirmation, naming feature, environment and new value, before a flag changes here."
            checked={Boolean(value("protected"))}
            onChange={(event) => set({ protected: event.currentTarget.checked })}
          />
        </Section>
        <Section title="What SDKs get">
          <Select
            label="Hide disabled flags"
            description="Leave disabled flags out of what SDKs receive."
            data={[
              { value: "inherit", label: "As the project says" },
              { value: "true", label: "Hide them in this environment" },
              { value: "false", label: "Send them in this environment" },
            ]}
            value={hide === null || hide === undefined ? "inherit" : String(hide)}
            allowDeselect={false}
            onChange={(next) => set({ hide_disabled_flags: next === "inherit" ? null : next === "true" })}
          />
          <Checkbox
            label="Allow client-side keys to set traits"
            description="Off: only server-side keys may store identities' traits."
            checked={Boolean(value("allow_client_traits"))}
            onChange={(event) => set({ allow_client_traits: event.currentTarget.checked })}
          />
          <Checkbox
            label="Use the identity's composite key for hashing"
            description="Percentage splits and variants hash the environment key with the identifier, as SDKs evaluating locally do; off (older environments): the identity's database id, which local evaluation cannot know."
            checked={Boolean(value("use_identity_composite_key_for_hashing"))}
            onChange={(event) => set({ use_identity_composite_key_for_hashing: event.currentTarget.checked })}
          />
          <Checkbox
            label="Use identity overrides in local evaluation"
            description="Server-side SDKs evaluating locally receive identity overrides in the environment document."
            checked={Boolean(value("use_identity_overrides_in_local_eval"))}
            onChange={(event) => set({ use_identity_overrides_in_local_eval: event.currentTarget.checked })}
          />
        </Section>
        <Section title="Change management">
          <NumberInput
            label="Minimum approvals for a flag change"
            description="Empty: changes go live directly. A number: flag changes here need a change request with that many approvals (feature versioning must be on for this environment; docs/versioning.md)."
            min={0}
            allowDecimal={false}
            value={value("minimum_change_request_approvals") ?? ""}
            onChange={(next) => set({ minimum_change_request_approvals: next === "" ? null : Number(next) })}
            error={fieldError(save.error, "minimum_change_request_approvals")}
            w={320}
          />
        </Section>
        <SaveError
          error={save.error}
          needs="admin rights on this environment (or on its project)"
          fields={["name", "banner_text", "banner_colour", "minimum_change_request_approvals"]}
        />
        <Group>
          <Button type="submit" disabled={Object.keys(draft).length === 0} loading={save.isPending}>
            Save environment settings
          </Button>
          <Saved when={save.isSuccess && Object.keys(draft).length === 0} />
        </Group>
      </Stack>
    </form>
  );
}

export function EnvironmentSettingsPage() {
  const { projectId: projectParam, envKey = "" } = useParams();
  const projectId = Number(projectParam);
  const environments = useEnvironments(projectId);
  const environment = environments.data?.find((item) => item.api_key === envKey);
  if (environments.isPending) return <Loading />;
  if (environments.error) return <ErrorMessage error={environments.error} title="Could not load the environment" onRetry={() => environments.refetch()} />;
  if (!environment) return <ErrorMessage error="This environment does not exist, or you cannot see it." title="No such environment" />;
  return (
    <Stack>
      <PageTitle title={`${environment.name}: settings`}>
        {environment.protected && (
          <Badge color="orange" variant="light" size="lg">
            protected
          </Badge>
        )}
      </PageTitle>
      <EnvironmentForm environment={environment} projectId={projectId} />
      <WebhooksPanel scope={{ type: "environment", id: environment.api_key }} name={environment.name} />
    </Stack>
  );
}

/** Live check of the feature name pattern, as the API applies it (the whole name must match). */
export function regexCheck(pattern: string, sample: string): { error?: string; matches?: boolean } {
  if (!pattern) return {};
  let compiled: RegExp;
  try {
    // As the API applies it: ^pattern$ (Python and JavaScript agree on common patterns).
    compiled = new RegExp(`^${pattern}$`);
  } catch (error) {
    return { error: `Not a valid pattern: ${(error as Error).message}` };
  }
  return sample ? { matches: compiled.test(sample) } : {};
}

export function ProjectSettingsForm({ project }: { project: Schemas["Project"] }) {
  const queryClient = useQueryClient();
  const [draft, setDraft] = useState<Schemas["PatchedProjectRequest"]>({});
  const [sample, setSample] = useState("");
  useEffect(() => setDraft({}), [project]);
  const value = <K extends keyof Schemas["PatchedProjectRequest"]>(key: K) => (key in draft ? draft[key] : (project as Schemas["PatchedProjectRequest"])[key]);
  const set = (patch: Schemas["PatchedProjectRequest"]) => setDraft({ ...draft, ...patch });
  const save = useMutation({
    mutationFn: () => unwrap(api.PATCH("/api/v1/projects/{id}/", { params: { path: { id: String(project.id) } }, body: draft })),
    onSuccess: (saved) => queryClient.setQueryData(keys.project(project.id), saved),
  });
  const pattern = value("feature_name_regex") ?? "";
  const check = regexCheck(pattern, sample);
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        save.mutate();
      }}
    >
      <Section title="Project settings">
        <TextInput label="Project name" value={value("name") ?? ""} onChange={(event) => set({ name: event.currentTarget.value })} error={fieldError(save.error, "name")} />
        <Checkbox
          label="Hide disabled flags from SDKs"
          description="Each environment may override this."
          checked={Boolean(value("hide_disabled_flags"))}
          onChange={(event) => set({ hide_disabled_flags: event.currentTarget.checked })}
        />
        <Checkbox
          label="Prevent flag defaults"
          description="New features start off and without a value in every environment; what is entered on creation applies to the current one only."
          checked={Boolean(value("prevent_flag_defaults"))}
          onChange={(event) => set({ prevent_flag_defaults: event.currentTarget.checked })}
        />
        <Checkbox
          label="Enable real-time updates"
          description="SDKs listening for changes hear about them within seconds."
          checked={Boolean(value("enable_realtime_updates"))}
          onChange={(event) => set({ enable_realtime_updates: event.currentTarget.checked })}
        />
        <Group align="flex-start" wrap="wrap">
          <TextInput
            label="Feature name pattern"
            description="A regular expression every new feature name must match, e.g. [a-z_]+"
            value={pattern}
            onChange={(event) => set({ feature_name_regex: event.currentTarget.value || null })}
            error={check.error ?? fieldError(save.error, "feature_name_regex")}
            style={{ flex: 1, minWidth: 220 }}
            styles={{ input: { fontFamily: "monospace" } }}
          />
          <TextInput
            label="Try a name"
            description={pattern ? "Checked as you type" : "Set a pattern first"}
            value={sample}
            onChange={(event) => setSample(event.currentTarget.value)}
            disabled={!pattern}
            w={220}
          />
        </Group>
        {check.matches !== undefined && (
          <Text size="sm" c={check.matches ? "teal" : "red"} role="status" data-testid="regex-check">
            {check.matches ? `“${sample}” matches: it may be a feature name.` : `“${sample}” does not match: the API would refuse it.`}
          </Text>
        )}
        <NumberInput
          label="Stale flags after (days)"
          description="A feature unchanged this long is marked stale."
          min={1}
          w={220}
          value={value("stale_flags_limit_days") ?? ""}
          onChange={(next) => set({ stale_flags_limit_days: next === "" ? undefined : Number(next) })}
          error={fieldError(save.error, "stale_flags_limit_days")}
        />
        <SaveError error={save.error} needs="admin rights on this project" fields={["name", "feature_name_regex", "stale_flags_limit_days"]} />
        <Group>
          <Button type="submit" disabled={Object.keys(draft).length === 0 || Boolean(check.error)} loading={save.isPending}>
            Save project settings
          </Button>
          <Saved when={save.isSuccess && Object.keys(draft).length === 0} />
        </Group>
      </Section>
    </form>
  );
}

export function ProjectSettingsCard() {
  const projectId = Number(useParams().projectId);
  const project = useProject(projectId);
  if (!project.data) return null;
  return <ProjectSettingsForm project={project.data} />;
}

export function OrganisationSettingsPage() {
  const orgId = Number(useParams().orgId);
  const organisations = useOrganisations();
  const organisation = organisations.data?.results.find((item) => item.id === orgId);
  const queryClient = useQueryClient();
  const [restrict, setRestrict] = useState<boolean | null>(null);
  const save = useMutation({
    mutationFn: () =>
      unwrap(api.PATCH("/api/v1/organisations/{id}/", { params: { path: { id: String(orgId) } }, body: { restrict_project_create_to_admin: Boolean(restrict) } })),
    onSuccess: async () => {
      await queryClient.invalidateQueries({ queryKey: keys.organisations });
      setRestrict(null);
    },
  });
  if (organisations.isPending) return <Loading />;
  if (!organisation) return <ErrorMessage error={organisations.error ?? "This organisation does not exist, or you are not a member."} title="No such organisation" />;
  const current = restrict ?? Boolean(organisation.restrict_project_create_to_admin);
  return (
    <Stack>
      <PageTitle title={`${organisation.name}: settings`} />
      <form
        onSubmit={(event) => {
          event.preventDefault();
          save.mutate();
        }}
      >
        <Section title="Projects">
          <Checkbox
            label="Only admins may create projects"
            description="Off: every member of the organisation may create projects."
            checked={current}
            onChange={(event) => setRestrict(event.currentTarget.checked)}
          />
          <SaveError error={save.error} needs="the organisation's admin role" />
          <Group>
            <Button type="submit" disabled={restrict === null} loading={save.isPending}>
              Save organisation settings
            </Button>
            <Saved when={save.isSuccess && restrict === null} />
          </Group>
        </Section>
      </form>
      <WebhooksPanel scope={{ type: "organisation", id: String(orgId) }} name={organisation.name} />
      <Text size="sm" c="dimmed">
        Members and roles are on <Link to={`/organisations/${orgId}/members`}>Members &amp; invites</Link>.
      </Text>
    </Stack>
  );
}
