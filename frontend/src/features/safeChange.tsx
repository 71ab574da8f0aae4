// Safe changes to flags: a confirmation naming feature, environment and new value before a
// change in a protected environment, and a few seconds to undo a change elsewhere.
import { Button, Group, Modal, Paper, Stack, Text } from "@mantine/core";
import { useCallback, useEffect, useRef, useState, type ReactNode } from "react";
import { showValue } from "../components/common";

/** How long "Undo" stays offered after an unprotected change. */
export const UNDO_MS = 6000;

/** Names that suggest an environment should be protected when it is created. */
export function looksLikeProduction(name: string): boolean {
  return /\b(prod|production|live|prd)\b/i.test(name.replace(/[_-]/g, " "));
}

/** "Turn new_checkout on in Production?" and friends: what the confirmation says. */
export function describeChange(
  feature: string,
  environment: string,
  change: { enabled?: boolean; value?: unknown; valueChanged?: boolean },
): string {
  const parts: string[] = [];
  if (change.enabled !== undefined) parts.push(change.enabled ? "on" : "off");
  if (change.valueChanged) parts.push(`with the value ${showValue(change.value)}`);
  if (change.enabled !== undefined) return `Turn ${feature} ${parts.join(" ")} in ${environment}?`;
  return `Set ${feature} in ${environment} ${parts.join(" ") || "as edited"}?`;
}

interface Question {
  title: string;
  message: ReactNode;
  confirmLabel: string;
  resolve: (yes: boolean) => void;
}

/** ``ask()`` opens a confirmation and resolves true (confirmed) or false (cancelled); render ``dialog``. */
export function useConfirm() {
  const [question, setQuestion] = useState<Question | null>(null);
  const ask = useCallback(
    (title: string, message: ReactNode, confirmLabel = "Change it") =>
      new Promise<boolean>((resolve) => setQuestion({ title, message, confirmLabel, resolve })),
    [],
  );
  const answer = (yes: boolean) => {
    question?.resolve(yes);
    setQuestion(null);
  };
  const dialog = (
    <Modal opened={question !== null} onClose={() => answer(false)} title={question?.title} centered>
      <Stack>
        <Text>{question?.message}</Text>
        <Group justify="flex-end">
          <Button variant="default" onClick={() => answer(false)}>
            Cancel
          </Button>
          <Button color="orange" onClick={() => answer(true)} data-autofocus>
            {question?.confirmLabel}
          </Button>
        </Group>
      </Stack>
    </Modal>
  );
  return { ask, dialog };
}

interface Offer {
  id: number;
  label: string;
  undo: () => void;
}

/** One "Undo" at a time, withdrawn after ``ms``; a newer offer replaces the older one. */
export function useUndo(ms = UNDO_MS) {
  const [offer, setOffer] = useState<Offer | null>(null);
  const timer = useRef<ReturnType<typeof setTimeout> | undefined>(undefined);
  const counter = useRef(0);
  useEffect(() => () => clearTimeout(timer.current), []);
  const dismiss = useCallback(() => {
    clearTimeout(timer.current);
    setOffer(null);
  }, []);
  const offerUndo = useCallback(
    (label: string, undo: () => void) => {
      clearTimeout(timer.current);
      counter.current += 1;
      setOffer({ id: counter.current, label, undo });
      timer.current = setTimeout(() => setOffer(null), ms);
    },
    [ms],
  );
  const undo = useCallback(() => {
    if (!offer) return;
    dismiss();
    offer.undo();
  }, [offer, dismiss]);
  return { offer, offerUndo, undo, dismiss };
}

/** The bar at the foot of the screen that offers the undo. */
export function UndoBar({ label, onUndo, onDismiss }: { label: string; onUndo: () => void; onDismiss: () => void }) {
  return (
    <Paper
      shadow="md"
      withBorder
      p="sm"
      role="status"
      aria-live="polite"
      style={{ position: "fixed", bottom: 16, left: "50%", transform: "translateX(-50%)", zIndex: 300, width: "calc(100vw - 32px)", maxWidth: 520 }}
    >
      <Group gap="sm" wrap="nowrap">
        <Text size="sm" style={{ flex: 1 }}>
          {label}
        </Text>
        <Button size="compact-sm" variant="light" onClick={onUndo} style={{ flexShrink: 0 }}>
          Undo
        </Button>
        <Button size="compact-sm" variant="subtle" color="gray" onClick={onDismiss} aria-label="Dismiss" style={{ flexShrink: 0 }}>
          ✕
        </Button>
      </Group>
    </Paper>
  );
}
