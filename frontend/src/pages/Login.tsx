import { Anchor, Button, Center, Paper, PasswordInput, Stack, Text, TextInput, Title } from "@mantine/core";
import { useMutation } from "@tanstack/react-query";
import { useState, type FormEvent } from "react";
import { Link, Navigate, useSearchParams } from "react-router";
import { api, unwrap } from "../api/client";
import { useAuth } from "../auth";
import { FormError, fieldError } from "../components/common";
import { useConfig } from "../context";

function AuthCard({ title, children }: { title: string; children: React.ReactNode }) {
  return (
    <Center mih="100vh" p="md" bg="gray.0">
      <Paper withBorder shadow="sm" p="xl" w="100%" maw={420}>
        <Stack>
          <Text fw={700} c="indigo.7" size="xl">
            Banderole
          </Text>
          <Title order={2}>{title}</Title>
          {children}
        </Stack>
      </Paper>
    </Center>
  );
}

function safeNext(next: string | null): string {
  // Only paths of this app: never an open redirect.
  return next && next.startsWith("/") && !next.startsWith("//") ? next : "/";
}

export function LoginPage() {
  const { token, logIn } = useAuth();
  const config = useConfig();
  const [params] = useSearchParams();
  const [email, setEmail] = useState("");
  const [password, setPassword] = useState("");
  // Set when the account has two-factor sign-in: the password step is done, a code is next.
  const [ephemeralToken, setEphemeralToken] = useState<string | null>(null);
  const login = useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/auth/login/", { body: { email, password } })),
    onSuccess: (data) => {
      if ("ephemeral_token" in data) setEphemeralToken(data.ephemeral_token);
      else logIn(data.key);
    },
  });
  if (token) return <Navigate to={safeNext(params.get("next"))} replace />;
  if (ephemeralToken) return <CodeStep ephemeralToken={ephemeralToken} onRestart={() => setEphemeralToken(null)} />;
  const submit = (event: FormEvent) => {
    event.preventDefault();
    login.mutate();
  };
  return (
    <AuthCard title="Log in">
      <form onSubmit={submit} noValidate>
        <Stack>
          <TextInput
            label="Email"
            type="email"
            autoComplete="email"
            required
            value={email}
            onChange={(event) => setEmail(event.currentTarget.value)}
            error={fieldError(login.error, "email")}
            data-autofocus
            autoFocus
          />
          <PasswordInput
            label="Password"
            autoComplete="current-password"
            required
            value={password}
            onChange={(event) => setPassword(event.currentTarget.value)}
            error={fieldError(login.error, "password")}
          />
          <FormError error={login.error} fields={["email", "password"]} title="Login failed" />
          <Button type="submit" loading={login.isPending}>
            Log in
          </Button>
        </Stack>
      </form>
      {config.allow_signup && (
        <Text size="sm">
          New here?{" "}
          <Anchor component={Link} to={`/signup${params.get("next") ? `?next=${encodeURIComponent(params.get("next")!)}` : ""}`}>
            Create an account
          </Anchor>
        </Text>
      )}
    </AuthCard>
  );
}

/** The second step of a two-factor sign-in: a code from the authenticator app, or a backup code. */
function CodeStep({ ephemeralToken, onRestart }: { ephemeralToken: string; onRestart: () => void }) {
  const { logIn } = useAuth();
  const [code, setCode] = useState("");
  const verify = useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/auth/login/code/", { body: { ephemeral_token: ephemeralToken, code: code.trim() } })),
    onSuccess: (data) => logIn(data.key),
  });
  return (
    <AuthCard title="Two-factor sign-in">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          verify.mutate();
        }}
        noValidate
      >
        <Stack>
          <Text size="sm">Enter the 6-digit code from your authenticator app, or one of your backup codes.</Text>
          <TextInput
            label="Authentication code"
            autoComplete="one-time-code"
            inputMode="text"
            required
            value={code}
            onChange={(event) => setCode(event.currentTarget.value)}
            error={fieldError(verify.error, "code")}
            data-autofocus
            autoFocus
          />
          <FormError error={verify.error} fields={["code"]} />
          <Button type="submit" loading={verify.isPending}>
            Verify
          </Button>
        </Stack>
      </form>
      <Anchor component="button" type="button" size="sm" onClick={onRestart}>
        Start again
      </Anchor>
    </AuthCard>
  );
}

export function SignupPage() {
  const { token, logIn } = useAuth();
  const config = useConfig();
  const [params] = useSearchParams();
  const [form, setForm] = useState({ first_name: "", last_name: "", email: "", password: "" });
  const signup = useMutation({
    mutationFn: async () => {
      const created = await unwrap(api.POST("/api/v1/auth/users/", { body: { ...form } }));
      if (created.key) return created.key;
      // No key: the account waits for email activation.
      return null;
    },
    onSuccess: (key) => {
      if (key) logIn(key);
    },
  });
  if (token) return <Navigate to={safeNext(params.get("next"))} replace />;
  if (!config.allow_signup) {
    return (
      <AuthCard title="Sign-up is closed">
        <Text>This installation does not accept new accounts. Ask an administrator for an invite.</Text>
        <Anchor component={Link} to="/login">
          Log in
        </Anchor>
      </AuthCard>
    );
  }
  if (signup.isSuccess && signup.data === null) {
    return (
      <AuthCard title="Check your email">
        <Text>We sent an activation link to {form.email}. Follow it, then log in.</Text>
      </AuthCard>
    );
  }
  const set = (name: keyof typeof form) => (event: React.ChangeEvent<HTMLInputElement>) =>
    setForm({ ...form, [name]: event.currentTarget.value });
  return (
    <AuthCard title="Create your account">
      <form
        onSubmit={(event) => {
          event.preventDefault();
          signup.mutate();
        }}
        noValidate
      >
        <Stack>
          <TextInput label="First name" autoComplete="given-name" value={form.first_name} onChange={set("first_name")} error={fieldError(signup.error, "first_name")} autoFocus />
          <TextInput label="Last name" autoComplete="family-name" value={form.last_name} onChange={set("last_name")} error={fieldError(signup.error, "last_name")} />
          <TextInput label="Email" type="email" autoComplete="email" required value={form.email} onChange={set("email")} error={fieldError(signup.error, "email")} />
          <PasswordInput
            label="Password"
            description="At least 8 characters, not only digits, not a common password."
            autoComplete="new-password"
            required
            value={form.password}
            onChange={set("password")}
            error={fieldError(signup.error, "password")}
          />
          {!config.allow_registration_without_invite && (
            <Text size="sm" c="dimmed">
              Sign-up needs an invite to this email address.
            </Text>
          )}
          <FormError error={signup.error} fields={["first_name", "last_name", "email", "password"]} title="Account not created" />
          <Button type="submit" loading={signup.isPending}>
            Create account
          </Button>
        </Stack>
      </form>
      <Text size="sm">
        Already have an account?{" "}
        <Anchor component={Link} to="/login">
          Log in
        </Anchor>
      </Text>
    </AuthCard>
  );
}
