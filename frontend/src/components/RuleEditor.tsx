// The segment rule editor: nested ALL/ANY/NONE groups of conditions, with the API's
// validation messages shown beside the field they are about.
import { ActionIcon, Button, Card, Group, Select, Stack, Text, TextInput } from "@mantine/core";
import type { Schemas } from "../api/client";
import { fieldError } from "./common";

export type RuleType = Schemas["SegmentRuleTypeEnum"];
export type Operator = Schemas["OperatorEnum"];

export interface ConditionDraft {
  key: string;
  operator: Operator;
  property: string;
  value: string;
}

export interface RuleDraft {
  key: string;
  type: RuleType;
  conditions: ConditionDraft[];
  rules: RuleDraft[];
}

export const OPERATORS: { value: Operator; label: string; hint?: string }[] = [
  { value: "EQUAL", label: "equals (=)" },
  { value: "NOT_EQUAL", label: "does not equal (≠)" },
  { value: "GREATER_THAN", label: "greater than (>)", hint: "A number, or a version with :semver (1.2.0:semver)" },
  { value: "GREATER_THAN_INCLUSIVE", label: "greater than or equal (≥)", hint: "A number, or a version with :semver" },
  { value: "LESS_THAN", label: "less than (<)", hint: "A number, or a version with :semver" },
  { value: "LESS_THAN_INCLUSIVE", label: "less than or equal (≤)", hint: "A number, or a version with :semver" },
  { value: "CONTAINS", label: "contains" },
  { value: "NOT_CONTAINS", label: "does not contain" },
  { value: "REGEX", label: "matches regex", hint: "A regular expression, e.g. ^.*@example\\.com$" },
  { value: "MODULO", label: "modulo", hint: "divisor|remainder, e.g. 2|0 for even numbers" },
  { value: "IN", label: "is one of", hint: "Values separated by commas, e.g. gb,fr,de" },
  { value: "IS_SET", label: "is set" },
  { value: "IS_NOT_SET", label: "is not set" },
  { value: "PERCENTAGE_SPLIT", label: "% split", hint: "A percentage from 0 to 100 of identities" },
];

const NO_VALUE: Operator[] = ["IS_SET", "IS_NOT_SET"];
const NO_PROPERTY: Operator[] = ["PERCENTAGE_SPLIT"];

const TYPE_LABELS: Record<RuleType, string> = {
  ALL: "All of these (AND)",
  ANY: "Any of these (OR)",
  NONE: "None of these (NOT)",
};

let counter = 0;
export const newKey = () => `k${++counter}`;

export function newCondition(): ConditionDraft {
  return { key: newKey(), operator: "EQUAL", property: "", value: "" };
}

export function newRule(type: RuleType = "ANY"): RuleDraft {
  return { key: newKey(), type, conditions: [newCondition()], rules: [] };
}

export function fromApi(rule: Schemas["SegmentRule"]): RuleDraft {
  return {
    key: newKey(),
    type: rule.type,
    conditions: (rule.conditions ?? []).map((condition) => ({
      key: newKey(),
      operator: condition.operator,
      property: condition.property ?? "",
      value: condition.value ?? "",
    })),
    rules: (rule.rules ?? []).map(fromApi),
  };
}

export function toApi(rule: RuleDraft): Schemas["SegmentRuleRequest"] {
  return {
    type: rule.type,
    delete: false,
    conditions: rule.conditions.map((condition) => ({
      operator: condition.operator,
      property: NO_PROPERTY.includes(condition.operator) ? null : condition.property,
      value: NO_VALUE.includes(condition.operator) ? null : condition.value,
      delete: false,
    })),
    rules: rule.rules.map(toApi),
  };
}

function ConditionRow({
  condition,
  path,
  error,
  onChange,
  onRemove,
  label,
}: {
  condition: ConditionDraft;
  path: (string | number)[];
  error: unknown;
  onChange: (condition: ConditionDraft) => void;
  onRemove: () => void;
  label: string;
}) {
  const operator = OPERATORS.find((item) => item.value === condition.operator);
  const propertyError = fieldError(error, ...path, "property");
  const valueError = fieldError(error, ...path, "value");
  const operatorError = fieldError(error, ...path, "operator");
  return (
    <Group align="flex-start" gap="xs" wrap="wrap" data-testid="condition">
      {!NO_PROPERTY.includes(condition.operator) && (
        <TextInput
          aria-label={`${label} trait`}
          placeholder="Trait, e.g. plan"
          value={condition.property}
          onChange={(event) => onChange({ ...condition, property: event.currentTarget.value })}
          error={propertyError}
          style={{ flex: "1 1 140px" }}
        />
      )}
      <Select
        aria-label={`${label} operator`}
        data={OPERATORS.map(({ value, label: text }) => ({ value, label: text }))}
        value={condition.operator}
        allowDeselect={false}
        onChange={(next) => next && onChange({ ...condition, operator: next as Operator })}
        error={operatorError}
        style={{ flex: "1 1 170px" }}
        comboboxProps={{ withinPortal: true }}
      />
      {!NO_VALUE.includes(condition.operator) && (
        <TextInput
          aria-label={`${label} value`}
          placeholder={operator?.hint ?? "Value"}
          description={operator?.hint}
          value={condition.value}
          onChange={(event) => onChange({ ...condition, value: event.currentTarget.value })}
          error={valueError}
          style={{ flex: "1 1 160px" }}
        />
      )}
      <ActionIcon variant="subtle" color="red" mt={6} aria-label={`Remove ${label}`} onClick={onRemove}>
        ✕
      </ActionIcon>
    </Group>
  );
}

export function RuleEditor({
  rule,
  path,
  error,
  onChange,
  onRemove,
  depth = 0,
  label,
}: {
  rule: RuleDraft;
  path: (string | number)[];
  error: unknown;
  onChange: (rule: RuleDraft) => void;
  onRemove?: () => void;
  depth?: number;
  label: string;
}) {
  const ruleError = fieldError(error, ...path, "conditions") ?? fieldError(error, ...path, "rules");
  return (
    <Card withBorder padding="sm" bg={depth % 2 ? "gray.0" : undefined} data-testid="rule">
      <Stack gap="xs">
        <Group justify="space-between" wrap="wrap" gap="xs">
          <Select
            aria-label={`${label} match`}
            data={(Object.keys(TYPE_LABELS) as RuleType[]).map((value) => ({ value, label: TYPE_LABELS[value] }))}
            value={rule.type}
            allowDeselect={false}
            onChange={(next) => next && onChange({ ...rule, type: next as RuleType })}
            w={220}
          />
          {onRemove && (
            <Button size="xs" variant="subtle" color="red" onClick={onRemove} aria-label={`Remove ${label}`}>
              Remove group
            </Button>
          )}
        </Group>
        {rule.conditions.map((condition, index) => (
          <ConditionRow
            key={condition.key}
            condition={condition}
            label={`${label} condition ${index + 1}`}
            path={[...path, "conditions", index]}
            error={error}
            onChange={(next) => onChange({ ...rule, conditions: rule.conditions.map((item, i) => (i === index ? next : item)) })}
            onRemove={() => onChange({ ...rule, conditions: rule.conditions.filter((_, i) => i !== index) })}
          />
        ))}
        {rule.rules.map((child, index) => (
          <RuleEditor
            key={child.key}
            rule={child}
            depth={depth + 1}
            label={`${label} group ${index + 1}`}
            path={[...path, "rules", index]}
            error={error}
            onChange={(next) => onChange({ ...rule, rules: rule.rules.map((item, i) => (i === index ? next : item)) })}
            onRemove={() => onChange({ ...rule, rules: rule.rules.filter((_, i) => i !== index) })}
          />
        ))}
        {ruleError && (
          <Text c="red" size="sm">
            {ruleError}
          </Text>
        )}
        <Group gap="xs">
          <Button size="xs" variant="light" onClick={() => onChange({ ...rule, conditions: [...rule.conditions, newCondition()] })} aria-label={`Add a condition to ${label}`}>
            + Condition
          </Button>
          <Button size="xs" variant="default" onClick={() => onChange({ ...rule, rules: [...rule.rules, newRule("ANY")] })} aria-label={`Add a group to ${label}`}>
            + Nested group
          </Button>
        </Group>
      </Stack>
    </Card>
  );
}
