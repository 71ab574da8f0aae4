// Webhooks of an environment (flag changes) or an organisation (audit events): URL, a secret
// shown once, enabled, and a test send that shows what the receiver answered.
import { Alert, Badge, Button, Card, Checkbox, Code, Group, Stack, Switch, Table, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { ApiError, api, unwrap } from "../api/client";
import { ConfirmButton, CopyField, ErrorMessage, FormError, Loading, fieldError } from "./common";

export type WebhookScope = { type: "environment" | "organisation"; id: string };

interface Hook {
  id: number;
  url: string;
  enabled?: boolean;
  secret?: string;
  created_at: string;
}

/** A random secret for signing bodies (HMAC-SHA256): 32 hex characters. */
export function newSecret(): string {
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (byte) => byte.toString(16).padStart(2, "0")).join("");
}

function useHooks(scope: WebhookScope) {
  return useQuery({
    queryKey: ["webhooks", scope.type, scope.id],
    queryFn: (): Promise<Hook[]> =>
      scope.type === "environment"
        ? unwrap(api.GET("/api/v1/environments/{environment_api_key}/webhooks/", { params: { path: { environment_api_key: scope.id } } }))
        : unwrap(api.GET("/api/v1/organisations/{organisation_pk}/webhooks/", { params: { path: { organisation_pk: Number(scope.id) } } })),
  });
}

interface TestOutcome {
  ok: boolean;
  detail: string;
  status?: number;
}

/** Sends the sample event and words the answer: the receiver's status, or why nothing came back. */
function TestButton({ scope, url, secret }: { scope: WebhookScope; url: string; secret?: string }) {
  const [outcome, setOutcome] = useState<TestOutcome | null>(null);
  const test = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/webhooks/test/", { body: { webhook_url: url, secret: secret ?? "", scope } })),
    onSuccess: (result) => setOutcome({ ok: true, detail: result.detail, status: result.status }),
    onError: (error) => {
      const body = error instanceof ApiError ? (error.body as { detail?: string; body?: string; status?: number } | null) : null;
      setOutcome({ ok: false, detail: [body?.detail, body?.body].filter(Boolean).join(". ") || error.message, status: body?.status });
    },
  });
  return (
    <Stack gap={2} align="flex-end">
      <Button size="xs" variant="light" loading={test.isPending} onClick={() => test.mutate()} aria-label={`Send a test to ${url}`}>
        Send test
      </Button>
      {outcome && (
        <Text size="xs" c={outcome.ok ? "teal" : "red"} role="status" maw={320} ta="right" data-testid="webhook-test-result">
          {outcome.status !== undefined ? `Receiver answered ${outcome.status}. ` : ""}
          {outcome.detail}
        </Text>
      )}
    </Stack>
  );
}

const DELIVERY_COLOURS: Record<string, string> = { DELIVERED: "teal", PENDING: "yellow", FAILED: "red" };

/** The webhook's latest deliveries: event, status, attempts, the receiver's last answer. */
function Deliveries({ hook, scope }: { hook: Hook; scope: WebhookScope }) {
  const deliveries = useQuery({
    queryKey: ["webhook-deliveries", scope.type, scope.id, hook.id],
    queryFn: () =>
      scope.type === "environment"
        ? unwrap(api.GET("/api/v1/environments/{environment_api_key}/webhooks/{id}/deliveries/", { params: { path: { environment_api_key: scope.id, id: String(hook.id) } } }))
        : unwrap(api.GET("/api/v1/organisations/{organisation_pk}/webhooks/{id}/deliveries/", { params: { path: { organisation_pk: Number(scope.id), id: String(hook.id) } } })),
  });
  if (deliveries.isPending) return <Loading />;
  if (deliveries.error) return <ErrorMessage error={deliveries.error} title="Could not load the deliveries" />;
  if (deliveries.data.length === 0) return <Text size="xs" c="dimmed">No delivery yet: events appear here once a change is sent.</Text>;
  return (
    <Table fz="xs" verticalSpacing={2} data-testid="webhook-deliveries" aria-label={`Recent deliveries to ${hook.url}`}>
      <Table.Thead>
        <Table.Tr>
          <Table.Th>When</Table.Th>
          <Table.Th>Event</Table.Th>
          <Table.Th>Status</Table.Th>
          <Table.Th>Attempts</Table.Th>
          <Table.Th>Last answer</Table.Th>
        </Table.Tr>
      </Table.Thead>
      <Table.Tbody>
        {deliveries.data.map((delivery) => (
          <Table.Tr key={delivery.id}>
            <Table.Td>{new Date(delivery.created_at).toLocaleString()}</Table.Td>
            <Table.Td>{delivery.event_type}</Table.Td>
            <Table.Td>
              <Badge size="xs" color={DELIVERY_COLOURS[delivery.status] ?? "gray"} variant="light">
                {delivery.status.toLowerCase()}
              </Badge>
            </Table.Td>
            <Table.Td>{delivery.attempts}</Table.Td>
            <Table.Td style={{ wordBreak: "break-word" }}>{delivery.last_status_code ?? (delivery.last_error || "—")}</Table.Td>
          </Table.Tr>
        ))}
      </Table.Tbody>
    </Table>
  );
}

function HookRow({ hook, scope }: { hook: Hook; scope: WebhookScope }) {
  const [open, setOpen] = useState(false);
  const queryClient = useQueryClient();
  const key = ["webhooks", scope.type, scope.id];
  const setEnabled = useMutation({
    mutationFn: (enabled: boolean) =>
      scope.type === "environment"
        ? unwrap(api.PATCH("/api/v1/environments/{environment_api_key}/webhooks/{id}/", { params: { path: { environment_api_key: scope.id, id: String(hook.id) } }, body: { enabled } }))
        : unwrap(api.PATCH("/api/v1/organisations/{organisation_pk}/webhooks/{id}/", { params: { path: { organisation_pk: Number(scope.id), id: String(hook.id) } }, body: { enabled } })),
    onSettled: () => queryClient.invalidateQueries({ queryKey: key }),
  });
  return (
    <Table.Tr>
      <Table.Td>
        <Stack gap={2}>
          <Text size="sm" ff="monospace" style={{ wordBreak: "break-all" }}>
            {hook.url}
          </Text>
          <Group gap={4}>
            {hook.secret ? <Badge size="xs" variant="light">signed</Badge> : <Badge size="xs" variant="outline" color="gray">unsigned</Badge>}
          </Group>
          {setEnabled.error && (
            <Text size="xs" c="red" role="alert">
              Not changed: {setEnabled.error.message}
            </Text>
          )}
          <Button size="compact-xs" variant="subtle" w="fit-content" onClick={() => setOpen(!open)} aria-expanded={open}>
            {open ? "Hide deliveries" : "Recent deliveries"}
          </Button>
          {open && <Deliveries hook={hook} scope={scope} />}
        </Stack>
      </Table.Td>
      <Table.Td>
        <Switch aria-label={`${hook.url} enabled`} checked={Boolean(hook.enabled)} onChange={(event) => setEnabled.mutate(event.currentTarget.checked)} />
      </Table.Td>
      <Table.Td>
        <Group gap="xs" justify="flex-end" wrap="nowrap" align="flex-start">
          <TestButton scope={scope} url={hook.url} secret={hook.secret} />
          <ConfirmButton
            size="xs"
            label="Delete"
            aria-label={`Delete webhook ${hook.url}`}
            title="Delete this webhook?"
            message={`${hook.url} stops receiving events.`}
            onConfirm={async () => {
              if (scope.type === "environment")
                await unwrap(api.DELETE("/api/v1/environments/{environment_api_key}/webhooks/{id}/", { params: { path: { environment_api_key: scope.id, id: String(hook.id) } } }));
              else await unwrap(api.DELETE("/api/v1/organisations/{organisation_pk}/webhooks/{id}/", { params: { path: { organisation_pk: Number(scope.id), id: String(hook.id) } } }));
              await queryClient.invalidateQueries({ queryKey: key });
            }}
          />
        </Group>
      </Table.Td>
    </Table.Tr>
  );
}

export function WebhooksPanel({ scope, name }: { scope: WebhookScope; name: string }) {
  const hooks = useHooks(scope);
  const queryClient = useQueryClient();
  const [url, setUrl] = useState("");
  const [sign, setSign] = useState(true);
  const [shown, setShown] = useState<{ url: string; secret: string } | null>(null);
  const create = useMutation({
    mutationFn: () => {
      const body = { url, enabled: true, secret: sign ? newSecret() : "" };
      const made =
        scope.type === "environment"
          ? unwrap(api.POST("/api/v1/environments/{environment_api_key}/webhooks/", { params: { path: { environment_api_key: scope.id } }, body }))
          : unwrap(api.POST("/api/v1/organisations/{organisation_pk}/webhooks/", { params: { path: { organisation_pk: Number(scope.id) } }, body }));
      return made.then(() => body);
    },
    onSuccess: async (body) => {
      if (body.secret) setShown({ url: body.url, secret: body.secret });
      setUrl("");
      await queryClient.invalidateQueries({ queryKey: ["webhooks", scope.type, scope.id] });
    },
  });
  const denied = hooks.error instanceof ApiError && hooks.error.status === 403;
  return (
    <Card withBorder>
      <Stack gap="sm">
        <Title order={4}>Webhooks of {name}</Title>
        <Text size="sm" c="dimmed">
          {scope.type === "environment"
            ? "Each flag change in this environment is POSTed to these URLs as JSON."
            : "Each audit event of the organisation is POSTed to these URLs as JSON."}{" "}
          A signed webhook carries <Code>X-Flagsmith-Signature</Code>, the HMAC-SHA256 of the body with its secret.
        </Text>
        {hooks.isPending && <Loading />}
        {denied ? (
          <Alert color="orange" title="Only admins see webhooks">
            Webhooks of {name} are read and changed by its admins (or the organisation's). Ask one of them to add you.
          </Alert>
        ) : (
          <ErrorMessage error={hooks.error} title="Could not load the webhooks" />
        )}
        {shown && (
          <Alert color="teal" title="Webhook created: copy its secret now" withCloseButton onClose={() => setShown(null)}>
            <Stack gap="xs">
              <Text size="sm">This is the only time the dashboard shows it. Your receiver checks each body's signature with it.</Text>
              <CopyField label="Signing secret" value={shown.secret} />
            </Stack>
          </Alert>
        )}
        {hooks.data && hooks.data.length === 0 && <Text size="sm">No webhook yet.</Text>}
        {hooks.data && hooks.data.length > 0 && (
          <Table.ScrollContainer minWidth={520}>
            <Table verticalSpacing="sm">
              <Table.Thead>
                <Table.Tr>
                  <Table.Th>URL</Table.Th>
                  <Table.Th>Enabled</Table.Th>
                  <Table.Th />
                </Table.Tr>
              </Table.Thead>
              <Table.Tbody>
                {hooks.data.map((hook) => (
                  <HookRow key={hook.id} hook={hook} scope={scope} />
                ))}
              </Table.Tbody>
            </Table>
          </Table.ScrollContainer>
        )}
        {!denied && (
          <form
            onSubmit={(event) => {
              event.preventDefault();
              create.mutate();
            }}
          >
            <Stack gap="xs">
              <Group align="flex-start" wrap="wrap">
                <TextInput
                  label="New webhook URL"
                  placeholder="https://example.com/hooks/flags"
                  value={url}
                  onChange={(event) => setUrl(event.currentTarget.value)}
                  error={fieldError(create.error, "url")}
                  style={{ flex: 1, minWidth: 240 }}
                />
                <Button type="submit" mt={25} loading={create.isPending}>
                  Add webhook
                </Button>
              </Group>
              <Checkbox label="Sign the bodies with a new secret" checked={sign} onChange={(event) => setSign(event.currentTarget.checked)} />
              <FormError error={create.error} fields={["url"]} title="Webhook not added" />
            </Stack>
          </form>
        )}
        <Text size="xs" c="dimmed">
          Failed deliveries are retried with growing waits; “Recent deliveries” shows the last 20 of a webhook. Test sends are not
          listed there.
        </Text>
      </Stack>
    </Card>
  );
}
