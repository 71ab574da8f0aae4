// The audit log in words: ids as names, segment rules as a formula, value types as text.
import { createContext, useContext } from "react";

export interface AuditNames {
  feature: Map<number, string>;
  environment: Map<number, string>;
  segment: Map<number, string>;
  project: Map<number, string>;
  user: Map<number, string>;
  tag: Map<number, string>;
  organisation: Map<number, string>;
}

const empty = (): AuditNames => ({
  feature: new Map(),
  environment: new Map(),
  segment: new Map(),
  project: new Map(),
  user: new Map(),
  tag: new Map(),
  organisation: new Map(),
});
export const AuditNamesContext = createContext<AuditNames>(empty());
export const useAuditNames = () => useContext(AuditNamesContext);

/** Which kind of object a field refers to by id: feature_id, environment, segment_id, owners… */
const ID_FIELDS: Record<string, keyof AuditNames> = {
  feature: "feature",
  feature_id: "feature",
  environment: "environment",
  environment_id: "environment",
  segment: "segment",
  segment_id: "segment",
  project: "project",
  project_id: "project",
  owners: "user",
  user: "user",
  user_id: "user",
  author_id: "user",
  tags: "tag",
  organisation: "organisation",
  organisation_id: "organisation",
};

const TYPE_WORDS: Record<string, string> = { unicode: "text", int: "number", float: "number", bool: "boolean" };
const TYPE_FIELDS = new Set(["type", "value_type", "trait_value_type", "feature_state_value_type"]);

/** The label of a field: "feature_id" → "Feature", "hide_disabled_flags" → "Hide disabled flags". */
export function fieldLabel(field: string): string {
  const text = field.replace(/_id$/, "").toLowerCase().replace(/_/g, " ");
  return text.charAt(0).toUpperCase() + text.slice(1);
}

const OPERATOR_WORDS: Record<string, string> = {
  EQUAL: "=",
  NOT_EQUAL: "≠",
  GREATER_THAN: ">",
  GREATER_THAN_INCLUSIVE: "≥",
  LESS_THAN: "<",
  LESS_THAN_INCLUSIVE: "≤",
  CONTAINS: "contains",
  NOT_CONTAINS: "does not contain",
  REGEX: "matches",
  MODULO: "modulo",
  IN: "in",
  IS_SET: "is set",
  IS_NOT_SET: "is not set",
};

interface Condition {
  operator?: string;
  property?: string | null;
  property_?: string | null;
  value?: unknown;
}
interface Rule {
  type?: string;
  rules?: Rule[];
  conditions?: Condition[];
}

export function isRules(value: unknown): value is Rule[] {
  return Array.isArray(value) && value.length > 0 && value.every((item) => item && typeof item === "object" && "type" in item && ("rules" in item || "conditions" in item));
}

function conditionText(condition: Condition): string {
  const property = condition.property ?? condition.property_ ?? "";
  const operator = condition.operator ?? "";
  if (operator === "PERCENTAGE_SPLIT") return `in a ${condition.value}% split`;
  if (operator === "IS_SET" || operator === "IS_NOT_SET") return `${property} ${OPERATOR_WORDS[operator]}`;
  const value = operator === "IN" ? String(condition.value ?? "").split(",").map((part) => part.trim()).join(", ") : String(condition.value ?? "");
  return `${property} ${OPERATOR_WORDS[operator] ?? operator.toLowerCase()} ${value}`.trim();
}

/** One rule; ``wrap``: in brackets when it has several parts and sits beside other parts. */
function ruleText(rule: Rule, wrap: boolean): string {
  const siblings = (rule.conditions ?? []).length + (rule.rules ?? []).length;
  const parts = [...(rule.conditions ?? []).map(conditionText), ...(rule.rules ?? []).map((child) => ruleText(child, siblings > 1))].filter(Boolean);
  if (parts.length === 0) return "";
  const joiner = rule.type === "ALL" ? " AND " : " OR ";
  const joined = parts.join(joiner);
  if (rule.type === "NONE") return `NOT (${joined})`;
  return wrap && parts.length > 1 ? `(${joined})` : joined;
}

/** Segment rules as one line: "plan = pro AND country in gb, fr". */
export function rulesText(rules: Rule[]): string {
  const parts = rules.map((rule) => ruleText(rule, rules.length > 1)).filter(Boolean);
  return parts.join(" AND ") || "no conditions (everyone)";
}

/** A changed value in words, or undefined to show it as it is. */
export function valueWords(field: string, value: unknown, names: AuditNames): string | undefined {
  const kind = ID_FIELDS[field];
  if (kind) {
    const name = (id: unknown) => (typeof id === "number" ? (names[kind].get(id) ?? `#${id} (no longer exists)`) : String(id));
    if (typeof value === "number") return name(value);
    if (Array.isArray(value) && value.every((item) => typeof item === "number")) return value.length ? value.map(name).join(", ") : undefined;
  }
  if (TYPE_FIELDS.has(field) && typeof value === "string" && TYPE_WORDS[value]) return TYPE_WORDS[value];
  if (isRules(value)) return rulesText(value);
  return undefined;
}
