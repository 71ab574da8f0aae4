// Small pieces every screen uses: loading, errors in words, empty states, confirmation,
// pagination and copyable values.
import {
  Alert,
  Button,
  Center,
  CopyButton,
  Group,
  Loader,
  Modal,
  Pagination,
  Stack,
  Text,
  TextInput,
  Title,
  type ButtonProps,
} from "@mantine/core";
import { useState, type ReactNode } from "react";
import { ApiError } from "../api/client";

export function Loading({ label = "Loading…" }: { label?: string }) {
  return (
    <Center py="xl" role="status" aria-live="polite">
      <Group gap="sm">
        <Loader size="sm" />
        <Text c="dimmed">{label}</Text>
      </Group>
    </Center>
  );
}

export function ErrorMessage({ error, title, onRetry }: { error: unknown; title?: string; onRetry?: () => void }) {
  if (!error) return null;
  const message = error instanceof Error ? error.message : String(error);
  return (
    <Alert color="red" title={title ?? "Could not load"} role="alert">
      <Stack gap="xs">
        <Text size="sm">{message}</Text>
        {onRetry && (
          <Button size="xs" variant="light" color="red" onClick={onRetry} w="fit-content">
            Try again
          </Button>
        )}
      </Stack>
    </Alert>
  );
}

/** The message for one field of a failed form, for Mantine's ``error`` prop. */
export function fieldError(error: unknown, ...path: (string | number)[]): string | undefined {
  return error instanceof ApiError ? error.field(...path) : undefined;
}

/** What a failed form says above its buttons: what is not already shown beside a field. */
export function FormError({ error, fields = [], title = "Not saved" }: { error: unknown; fields?: string[]; title?: string }) {
  if (!error) return null;
  if (error instanceof ApiError && error.body && typeof error.body === "object" && !Array.isArray(error.body)) {
    // Messages about a field are shown beside it; only the rest needs saying here.
    const rest = Object.keys(error.body).filter((key) => !fields.includes(key));
    if (rest.length === 0) return null;
  }
  return <ErrorMessage error={error} title={title} />;
}

/** A one-field form that creates something: the field, its button, and the API's errors beside them. */
export function SingleFieldForm({
  label,
  placeholder,
  value,
  onChange,
  submitLabel,
  onSubmit,
  error,
  pending,
  field,
}: {
  label: string;
  placeholder: string;
  value: string;
  onChange: (value: string) => void;
  submitLabel: string;
  onSubmit: () => void;
  error: unknown;
  pending: boolean;
  field: string;
}) {
  return (
    <form
      onSubmit={(event) => {
        event.preventDefault();
        onSubmit();
      }}
    >
      <Stack gap="sm">
        <Group align="flex-start" wrap="wrap">
          <TextInput
            label={label}
            placeholder={placeholder}
            value={value}
            onChange={(event) => onChange(event.currentTarget.value)}
            error={fieldError(error, field)}
            style={{ flex: 1, minWidth: 220 }}
          />
          <Button type="submit" mt={25} loading={pending}>
            {submitLabel}
          </Button>
        </Group>
        <FormError error={error} fields={[field]} />
      </Stack>
    </form>
  );
}

export function EmptyState({ title, children, action }: { title: string; children?: ReactNode; action?: ReactNode }) {
  return (
    <Stack align="center" gap="xs" py="xl" px="md" ta="center" data-testid="empty-state">
      <Title order={4}>{title}</Title>
      {children && (
        <Text c="dimmed" maw={480}>
          {children}
        </Text>
      )}
      {action}
    </Stack>
  );
}

export function PageTitle({ title, children }: { title: string; children?: ReactNode }) {
  return (
    <Group justify="space-between" mb="md" wrap="wrap" gap="sm">
      <Title order={2}>{title}</Title>
      {children && <Group gap="sm">{children}</Group>}
    </Group>
  );
}

/** A button that asks before doing something that cannot be undone. */
export function ConfirmButton({
  label,
  title,
  message,
  confirmLabel,
  onConfirm,
  ...buttonProps
}: {
  label: ReactNode;
  title: string;
  message: ReactNode;
  confirmLabel?: string;
  onConfirm: () => Promise<unknown>;
} & ButtonProps & { "aria-label"?: string }) {
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<unknown>(null);
  return (
    <>
      <Button color="red" variant="light" {...buttonProps} onClick={() => setOpen(true)}>
        {label}
      </Button>
      <Modal opened={open} onClose={() => setOpen(false)} title={title} centered>
        <Stack>
          <Text>{message}</Text>
          <ErrorMessage error={error} title={`${confirmLabel ?? "Delete"}: not done`} />
          <Group justify="flex-end">
            <Button variant="default" onClick={() => setOpen(false)}>
              Cancel
            </Button>
            <Button
              color="red"
              loading={busy}
              onClick={async () => {
                setBusy(true);
                setError(null);
                try {
                  await onConfirm();
                  setOpen(false);
                } catch (caught) {
                  setError(caught);
                } finally {
                  setBusy(false);
                }
              }}
            >
              {confirmLabel ?? "Delete"}
            </Button>
          </Group>
        </Stack>
      </Modal>
    </>
  );
}

export function Pager({
  page,
  count,
  pageSize,
  onChange,
}: {
  page: number;
  count: number;
  pageSize: number;
  onChange: (page: number) => void;
}) {
  const total = Math.max(1, Math.ceil(count / pageSize));
  return (
    <Group justify="space-between" mt="md" wrap="wrap">
      <Text size="sm" c="dimmed">
        {count} in all
      </Text>
      {total > 1 && (
        <Pagination
          total={total}
          value={page}
          onChange={onChange}
          size="sm"
          getControlProps={(control) => ({ "aria-label": `${control} page` })}
          getItemProps={(item) => ({ "aria-label": `Page ${item}` })}
        />
      )}
    </Group>
  );
}

export function CopyField({ label, value, description }: { label: string; value: string; description?: string }) {
  return (
    <TextInput
      label={label}
      description={description}
      value={value}
      readOnly
      styles={{ input: { fontFamily: "monospace" } }}
      onFocus={(event) => event.currentTarget.select()}
      rightSectionWidth={70}
      rightSection={
        <CopyButton value={value}>
          {({ copied, copy }) => (
            <Button size="compact-xs" variant="light" onClick={copy} aria-label={copied ? `${label} copied` : `Copy ${label}`}>
              {copied ? "Copied" : "Copy"}
            </Button>
          )}
        </CopyButton>
      }
    />
  );
}

export function CodeBlock({ code, label }: { code: string; label: string }) {
  return (
    <Stack gap={4}>
      <Group justify="space-between">
        <Text fw={500} size="sm">
          {label}
        </Text>
        <CopyButton value={code}>
          {({ copied, copy }) => (
            <Button size="compact-xs" variant="light" onClick={copy} aria-label={`Copy the ${label} snippet`}>
              {copied ? "Copied" : "Copy"}
            </Button>
          )}
        </CopyButton>
      </Group>
      <pre
        style={{
          margin: 0,
          padding: "0.75rem",
          background: "var(--mantine-color-gray-0)",
          border: "1px solid var(--mantine-color-gray-3)",
          borderRadius: 4,
          overflowX: "auto",
          fontSize: 13,
        }}
      >
        <code>{code}</code>
      </pre>
    </Stack>
  );
}

/** A feature state's value as text for display. */
export function showValue(value: unknown): string {
  if (value === null || value === undefined || value === "") return "—";
  return typeof value === "string" ? value : JSON.stringify(value);
}
