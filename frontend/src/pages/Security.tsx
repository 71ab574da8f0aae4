import { Alert, Button, Card, Code, Group, List, SimpleGrid, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation, useQueryClient } from "@tanstack/react-query";
import { QRCodeSVG } from "qrcode.react";
import { useState } from "react";
import { api, unwrap } from "../api/client";
import { activeMethodsKey, useActiveMethods, useOrganisationsRequiringTwoFactor } from "../api/queries";
import { ConfirmButton, ErrorMessage, FormError, Loading, PageTitle, fieldError } from "../components/common";

/** Account → Security: turn two-factor sign-in with an authenticator app on or off. */
export function SecurityPage() {
  const methods = useActiveMethods();
  const requiring = useOrganisationsRequiringTwoFactor();
  const queryClient = useQueryClient();
  const [backupCodes, setBackupCodes] = useState<string[] | null>(null);
  const deactivate = async () => {
    await unwrap(api.POST("/api/v1/auth/{method}/deactivate/", { params: { path: { method: "app" } } }));
    await queryClient.invalidateQueries({ queryKey: activeMethodsKey });
  };
  const active = (methods.data?.length ?? 0) > 0;
  return (
    <>
      <PageTitle title="Security" />
      <Stack maw={720}>
        <Title order={3}>Two-factor sign-in</Title>
        {!active && requiring.length > 0 && (
          <Alert color="orange" title="Two-factor sign-in required">
            {requiring.join(", ")} {requiring.length === 1 ? "requires" : "require"} two-factor sign-in. Set it up
            below to continue.
          </Alert>
        )}
        {methods.isPending ? (
          <Loading />
        ) : methods.isError ? (
          <ErrorMessage error={methods.error} />
        ) : backupCodes ? (
          <BackupCodes codes={backupCodes} onDone={() => setBackupCodes(null)} />
        ) : active ? (
          <Card withBorder>
            <Stack>
              <Text>
                Two-factor sign-in is <b>on</b>: after your password, signing in asks for a code from your
                authenticator app.
              </Text>
              <Group>
                <ConfirmButton
                  label="Turn off two-factor sign-in"
                  title="Turn off two-factor sign-in?"
                  confirmLabel="Turn it off"
                  message="Signing in will ask only for your password."
                  onConfirm={deactivate}
                />
              </Group>
            </Stack>
          </Card>
        ) : (
          <Enrolment onEnrolled={setBackupCodes} />
        )}
      </Stack>
    </>
  );
}

function Enrolment({ onEnrolled }: { onEnrolled: (codes: string[]) => void }) {
  const queryClient = useQueryClient();
  const [code, setCode] = useState("");
  const start = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/auth/{method}/activate/", { params: { path: { method: "app" } } })),
  });
  const confirm = useMutation({
    mutationFn: () =>
      unwrap(
        api.POST("/api/v1/auth/{method}/activate/confirm/", {
          params: { path: { method: "app" } },
          body: { code: code.trim() },
        }),
      ),
    onSuccess: async (data) => {
      onEnrolled(data.backup_codes);
      await queryClient.invalidateQueries({ queryKey: activeMethodsKey });
    },
  });
  if (!start.data) {
    return (
      <Card withBorder>
        <Stack>
          <Text>
            Two-factor sign-in is <b>off</b>. Turn it on to ask for a code from an authenticator app (Google
            Authenticator, 1Password, Authy, …) after your password.
          </Text>
          <Group>
            <Button onClick={() => start.mutate()} loading={start.isPending}>
              Set up two-factor sign-in
            </Button>
          </Group>
          {start.error ? <ErrorMessage error={start.error} /> : null}
        </Stack>
      </Card>
    );
  }
  return (
    <Card withBorder>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          confirm.mutate();
        }}
        noValidate
      >
        <Stack>
          <Text>1. Scan this QR code with your authenticator app.</Text>
          <QRCodeSVG value={start.data.qr_link} size={192} marginSize={2} role="img" aria-label="QR code for your authenticator app" />
          <Text size="sm">
            Or type this key into the app: <Code data-testid="totp-secret">{start.data.secret}</Code>
          </Text>
          <Text>2. Enter the 6-digit code the app shows.</Text>
          <TextInput
            label="Code from the app"
            autoComplete="one-time-code"
            inputMode="numeric"
            required
            maw={240}
            value={code}
            onChange={(event) => setCode(event.currentTarget.value)}
            error={fieldError(confirm.error, "code")}
          />
          <FormError error={confirm.error} fields={["code"]} />
          <Group>
            <Button type="submit" loading={confirm.isPending}>
              Turn on
            </Button>
          </Group>
        </Stack>
      </form>
    </Card>
  );
}

function BackupCodes({ codes, onDone }: { codes: string[]; onDone: () => void }) {
  return (
    <Card withBorder>
      <Stack>
        <Alert color="green" title="Two-factor sign-in is on">
          Keep these backup codes somewhere safe. Each signs you in once if you lose your phone; they are shown only
          now.
        </Alert>
        <SimpleGrid cols={{ base: 1, xs: 2 }} spacing="xs" maw={360}>
          <List aria-label="Backup codes" listStyleType="none" spacing={4}>
            {codes.map((backupCode) => (
              <List.Item key={backupCode}>
                <Code>{backupCode}</Code>
              </List.Item>
            ))}
          </List>
        </SimpleGrid>
        <Group>
          <Button onClick={onDone}>I have saved them</Button>
        </Group>
      </Stack>
    </Card>
  );
}
