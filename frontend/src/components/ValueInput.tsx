import { Group, NumberInput, SegmentedControl, Select, TextInput } from "@mantine/core";

export type FlagValue = string | number | boolean | null;
type Kind = "text" | "number" | "boolean";

function kindOf(value: FlagValue | undefined): Kind {
  if (typeof value === "number") return "number";
  if (typeof value === "boolean") return "boolean";
  return "text";
}

/** A flag's value with its JSON type: text, a whole number or true/false. */
export function ValueInput({
  label,
  value,
  onChange,
  error,
  description,
}: {
  label: string;
  value: FlagValue | undefined;
  onChange: (value: FlagValue) => void;
  error?: string;
  description?: string;
}) {
  const kind = kindOf(value);
  const changeKind = (next: Kind) => {
    if (next === kind) return;
    if (next === "number") onChange(Number.parseInt(String(value ?? ""), 10) || 0);
    else if (next === "boolean") onChange(value === "true" || value === 1 || value === true);
    else onChange(value === null || value === undefined ? "" : String(value));
  };
  return (
    <Group align="flex-start" gap="xs" wrap="wrap">
      <SegmentedControl
        aria-label={`${label} type`}
        size="xs"
        mt={label ? 25 : 0}
        value={kind}
        onChange={(next) => changeKind(next as Kind)}
        data={[
          { value: "text", label: "Text" },
          { value: "number", label: "Number" },
          { value: "boolean", label: "Boolean" },
        ]}
      />
      {kind === "text" && (
        <TextInput
          label={label}
          description={description}
          value={(value as string | null) ?? ""}
          onChange={(event) => onChange(event.currentTarget.value)}
          error={error}
          style={{ flex: 1, minWidth: 180 }}
        />
      )}
      {kind === "number" && (
        <NumberInput
          label={label}
          description={description}
          value={value as number}
          allowDecimal={false}
          onChange={(next) => onChange(typeof next === "number" ? next : Number.parseInt(next, 10) || 0)}
          error={error}
          style={{ flex: 1, minWidth: 180 }}
        />
      )}
      {kind === "boolean" && (
        <Select
          label={label}
          description={description}
          data={["true", "false"]}
          value={String(value)}
          allowDeselect={false}
          onChange={(next) => onChange(next === "true")}
          error={error}
          style={{ flex: 1, minWidth: 180 }}
        />
      )}
    </Group>
  );
}
