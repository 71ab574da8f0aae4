import { Alert, Badge, Button, Card, Code, Group, Stack, Table, Tabs, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useState } from "react";
import { useParams } from "react-router";
import { api, unwrap } from "../api/client";
import { useEnvironments } from "../api/queries";
import { CodeBlock, ConfirmButton, CopyField, ErrorMessage, FormError, Loading, PageTitle, fieldError } from "../components/common";

export function snippets(apiUrl: string, key: string) {
  return {
    python: `# pip install flagsmith
from flagsmith import Flagsmith

flagsmith = Flagsmith(
    environment_key="${key}",
    api_url="${apiUrl}",
)
flags = flagsmith.get_identity_flags("user-42", traits={"plan": "pro"})
if flags.is_feature_enabled("new_checkout"):
    print(flags.get_feature_value("new_checkout"))`,
    javascript: `// npm install flagsmith
import flagsmith from "flagsmith";

await flagsmith.init({
  environmentID: "${key}",
  api: "${apiUrl}",
});
await flagsmith.identify("user-42", { plan: "pro" });
if (flagsmith.hasFeature("new_checkout")) {
  console.log(flagsmith.getValue("new_checkout"));
}`,
    node: `// npm install flagsmith-nodejs   (server side: use a server-side key)
import Flagsmith from "flagsmith-nodejs";

const flagsmith = new Flagsmith({
  environmentKey: "${key}",
  apiUrl: "${apiUrl}",
  enableLocalEvaluation: true,
});
const flags = await flagsmith.getIdentityFlags("user-42", { plan: "pro" });
console.log(flags.isFeatureEnabled("new_checkout"));`,
  };
}

export function SdkKeysPage() {
  const { projectId, envKey = "" } = useParams();
  const environments = useEnvironments(Number(projectId));
  const environment = environments.data?.find((item) => item.api_key === envKey);
  const queryClient = useQueryClient();
  const keysKey = ["server-keys", envKey];
  const serverKeys = useQuery({
    queryKey: keysKey,
    queryFn: () => unwrap(api.GET("/api/v1/environments/{environment_api_key}/api-keys/", { params: { path: { environment_api_key: envKey } } })),
  });
  const [name, setName] = useState("");
  const [created, setCreated] = useState<string | null>(null);
  const create = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/environments/{environment_api_key}/api-keys/", { params: { path: { environment_api_key: envKey } }, body: { name } })),
    onSuccess: async (key) => {
      setCreated(key.key);
      setName("");
      await queryClient.invalidateQueries({ queryKey: keysKey });
    },
  });
  const apiUrl = `${window.location.origin}/api/v1/`;
  const client = snippets(apiUrl, envKey);
  const server = snippets(apiUrl, created ?? "ser.<your server-side key>");
  return (
    <>
      <PageTitle title={environment ? `SDK keys · ${environment.name}` : "SDK keys"} />
      <Stack>
        <Card withBorder>
          <Stack gap="sm">
            <Title order={4}>Client-side key</Title>
            <Text size="sm" c="dimmed">
              For browsers and mobile apps: it can only read flags, so it is safe to ship in your application.
            </Text>
            <CopyField label="Client-side environment key" value={envKey} />
            <Tabs defaultValue="javascript">
              <Tabs.List>
                <Tabs.Tab value="javascript">JavaScript</Tabs.Tab>
                <Tabs.Tab value="python">Python</Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="javascript" pt="sm">
                <CodeBlock label="JavaScript (browser)" code={client.javascript} />
              </Tabs.Panel>
              <Tabs.Panel value="python" pt="sm">
                <CodeBlock label="Python" code={client.python} />
              </Tabs.Panel>
            </Tabs>
          </Stack>
        </Card>
        <Card withBorder>
          <Stack gap="sm">
            <Title order={4}>Server-side keys</Title>
            <Text size="sm" c="dimmed">
              For your servers: they can download the whole environment for local evaluation. Keep them secret; each is shown
              once, when it is created.
            </Text>
            {serverKeys.isPending && <Loading />}
            <ErrorMessage error={serverKeys.error} onRetry={() => serverKeys.refetch()} />
            {serverKeys.data && serverKeys.data.length === 0 && (
              <Text size="sm" c="dimmed">
                No server-side key yet. Create one for each service that evaluates flags locally.
              </Text>
            )}
            {serverKeys.data && serverKeys.data.length > 0 && (
              <Table.ScrollContainer minWidth={480}>
                <Table>
                  <Table.Thead>
                    <Table.Tr>
                      <Table.Th>Name</Table.Th>
                      <Table.Th>Key</Table.Th>
                      <Table.Th>Created</Table.Th>
                      <Table.Th />
                    </Table.Tr>
                  </Table.Thead>
                  <Table.Tbody>
                    {serverKeys.data.map((key) => (
                      <Table.Tr key={key.id}>
                        <Table.Td>
                          {key.name} {key.active === false && <Badge color="gray">revoked</Badge>}
                        </Table.Td>
                        <Table.Td>
                          <Code>{key.key_preview}…</Code>
                        </Table.Td>
                        <Table.Td>{new Date(key.created_at).toLocaleDateString()}</Table.Td>
                        <Table.Td ta="right">
                          <ConfirmButton
                            size="xs"
                            label="Delete"
                            aria-label={`Delete server-side key ${key.name}`}
                            title={`Delete the key ${key.name}?`}
                            message="Servers using it stop getting flags at once."
                            onConfirm={async () => {
                              await unwrap(
                                api.DELETE("/api/v1/environments/{environment_api_key}/api-keys/{id}/", {
                                  params: { path: { environment_api_key: envKey, id: String(key.id) } },
                                }),
                              );
                              await queryClient.invalidateQueries({ queryKey: keysKey });
                            }}
                          />
                        </Table.Td>
                      </Table.Tr>
                    ))}
                  </Table.Tbody>
                </Table>
              </Table.ScrollContainer>
            )}
            {created && (
              <Alert color="teal" title="Copy this key now: it will not be shown again">
                <CopyField label="New server-side key" value={created} />
              </Alert>
            )}
            <form
              onSubmit={(event) => {
                event.preventDefault();
                create.mutate();
              }}
            >
              <Group align="flex-start" wrap="wrap">
                <TextInput
                  label="Name of the new key"
                  placeholder="checkout-service"
                  value={name}
                  onChange={(event) => setName(event.currentTarget.value)}
                  error={fieldError(create.error, "name")}
                  style={{ flex: 1, minWidth: 220 }}
                />
                <Button type="submit" mt={25} loading={create.isPending}>
                  Create server-side key
                </Button>
              </Group>
            </form>
            <FormError error={create.error} fields={["name"]} />
            <Tabs defaultValue="python">
              <Tabs.List>
                <Tabs.Tab value="python">Python</Tabs.Tab>
                <Tabs.Tab value="node">JavaScript (Node.js)</Tabs.Tab>
              </Tabs.List>
              <Tabs.Panel value="python" pt="sm">
                <CodeBlock
                  label="Python, local evaluation"
                  code={server.python.replace(`    api_url="${apiUrl}",\n`, `    api_url="${apiUrl}",\n    enable_local_evaluation=True,\n`)}
                />
              </Tabs.Panel>
              <Tabs.Panel value="node" pt="sm">
                <CodeBlock label="Node.js, local evaluation" code={server.node} />
              </Tabs.Panel>
            </Tabs>
          </Stack>
        </Card>
      </Stack>
    </>
  );
}
