// Compare environments: every feature × every environment (state and value, toggled in place),
// and a two-environment diff listing only what differs.
import { Anchor, Badge, Group, SegmentedControl, Select, Stack, Switch, Table, Text } from "@mantine/core";
import { useQueries } from "@tanstack/react-query";
import { Link, useParams, useSearchParams } from "react-router";
import type { Schemas } from "../api/client";
import { fetchEnvironmentStates, useToggleFeature } from "../api/features";
import { keys, useAllFeatures, useEnvironments } from "../api/queries";
import { EmptyState, ErrorMessage, Loading, PageTitle, showValue } from "../components/common";
import { UndoBar, describeChange, useConfirm, useUndo } from "../features/safeChange";

type Feature = Schemas["Feature"];
type FeatureState = Schemas["FeatureState"];
type Environment = Schemas["Environment"];

/** Whether two environments serve a feature differently (state or value). */
export function differs(a?: FeatureState, b?: FeatureState): boolean {
  if (!a || !b) return a !== b;
  return Boolean(a.enabled) !== Boolean(b.enabled) || JSON.stringify(a.feature_state_value ?? null) !== JSON.stringify(b.feature_state_value ?? null);
}

function Cell({
  feature,
  state,
  environment,
  confirm,
  offerUndo,
}: {
  feature: Feature;
  state?: FeatureState;
  environment: Environment;
  confirm: ReturnType<typeof useConfirm>["ask"];
  offerUndo: ReturnType<typeof useUndo>["offerUndo"];
}) {
  const toggle = useToggleFeature(environment.api_key);
  if (!state) return <Text c="dimmed">…</Text>;
  const change = async (enabled: boolean) => {
    toggle.reset();
    if (environment.protected) {
      const yes = await confirm(`Change ${environment.name}?`, `${describeChange(feature.name, environment.name, { enabled })} ${environment.name} is protected.`, enabled ? `Turn ${feature.name} on` : `Turn ${feature.name} off`);
      if (yes) toggle.mutate({ state, enabled });
      return;
    }
    toggle.mutate(
      { state, enabled },
      { onSuccess: (saved) => offerUndo(`${feature.name} turned ${enabled ? "on" : "off"} in ${environment.name}.`, () => toggle.mutate({ state: saved, enabled: !enabled })) },
    );
  };
  return (
    <Stack gap={2}>
      <Switch size="xs" aria-label={`${feature.name} in ${environment.name}`} checked={Boolean(state.enabled)} onChange={(event) => void change(event.currentTarget.checked)} />
      <Text size="xs" ff="monospace" lineClamp={1} maw={160}>
        {showValue(state.feature_state_value)}
      </Text>
      {toggle.error && (
        <Text size="xs" c="red" role="alert">
          Not changed: {toggle.error.message}
        </Text>
      )}
    </Stack>
  );
}

export function CompareEnvironmentsPage() {
  const projectId = Number(useParams().projectId);
  const [params, setParams] = useSearchParams();
  const environments = useEnvironments(projectId);
  const features = useAllFeatures(projectId);
  const confirm = useConfirm();
  const undo = useUndo();
  const list = environments.data ?? [];
  const states = useQueries({
    queries: list.map((environment) => ({ queryKey: keys.featureStates(environment.api_key), queryFn: () => fetchEnvironmentStates(environment.api_key) })),
  });
  const view = params.get("view") === "diff" ? "diff" : "matrix";
  const left = list.find((item) => item.api_key === params.get("a")) ?? list[0];
  const right = list.find((item) => item.api_key === params.get("b")) ?? list[1];
  const statesOf = (environment?: Environment) => (environment ? states[list.indexOf(environment)]?.data : undefined);
  const shown = (features.data ?? []).filter((feature) => !feature.is_archived).sort((a, b) => a.name.localeCompare(b.name));
  const set = (patch: Record<string, string>) => setParams({ ...Object.fromEntries(params), ...patch }, { replace: true });
  const error = environments.error ?? features.error ?? states.find((item) => item.error)?.error;
  const loading = environments.isPending || features.isPending || states.some((item) => item.isPending);
  const envLink = (environment: Environment) => (
    <Group gap={4} wrap="nowrap">
      <Anchor component={Link} to={`/projects/${projectId}/environments/${environment.api_key}/features`} size="sm" fw={600}>
        {environment.name}
      </Anchor>
      {environment.protected && (
        <Badge size="xs" color="orange" variant="light">
          protected
        </Badge>
      )}
    </Group>
  );
  const diff = left && right ? shown.filter((feature) => differs(statesOf(left)?.[feature.id], statesOf(right)?.[feature.id])) : [];

  return (
    <>
      <PageTitle title="Compare environments">
        <SegmentedControl
          aria-label="View"
          value={view}
          onChange={(next) => set({ view: next })}
          data={[
            { value: "matrix", label: "All environments" },
            { value: "diff", label: "Differences of two" },
          ]}
        />
      </PageTitle>
      <ErrorMessage error={error} title="Could not load the comparison" />
      {loading && !error && <Loading />}
      {!loading && list.length === 0 && <EmptyState title="No environment yet">Create environments in the project's settings first.</EmptyState>}
      {!loading && list.length > 0 && shown.length === 0 && <EmptyState title="No features yet">Create a feature, then compare its environments here.</EmptyState>}
      {!loading && view === "matrix" && shown.length > 0 && (
        <Table.ScrollContainer minWidth={200 + list.length * 140}>
          <Table verticalSpacing="xs" striped withColumnBorders data-testid="compare-matrix">
            <Table.Thead>
              <Table.Tr>
                <Table.Th>Feature</Table.Th>
                {list.map((environment) => (
                  <Table.Th key={environment.id}>{envLink(environment)}</Table.Th>
                ))}
              </Table.Tr>
            </Table.Thead>
            <Table.Tbody>
              {shown.map((feature) => (
                <Table.Tr key={feature.id}>
                  <Table.Td>
                    <Text size="sm" fw={600}>
                      {feature.name}
                    </Text>
                  </Table.Td>
                  {list.map((environment) => (
                    <Table.Td key={environment.id}>
                      <Cell feature={feature} state={statesOf(environment)?.[feature.id]} environment={environment} confirm={confirm.ask} offerUndo={undo.offerUndo} />
                    </Table.Td>
                  ))}
                </Table.Tr>
              ))}
            </Table.Tbody>
          </Table>
        </Table.ScrollContainer>
      )}
      {!loading && view === "diff" && shown.length > 0 && (
        <Stack>
          <Group wrap="wrap">
            <Select label="Environment" data={list.map((item) => ({ value: item.api_key, label: item.name }))} value={left?.api_key ?? null} allowDeselect={false} onChange={(next) => next && set({ a: next })} />
            <Text mt={25}>against</Text>
            <Select label="Other environment" data={list.map((item) => ({ value: item.api_key, label: item.name }))} value={right?.api_key ?? null} allowDeselect={false} onChange={(next) => next && set({ b: next })} />
          </Group>
          {(!left || !right || left === right) && <Text>Choose two different environments.</Text>}
          {left && right && left !== right && diff.length === 0 && (
            <EmptyState title="No differences">
              Every feature is on or off, with the same value, in {left.name} and {right.name}.
            </EmptyState>
          )}
          {left && right && left !== right && diff.length > 0 && (
            <Table.ScrollContainer minWidth={480}>
              <Table verticalSpacing="xs" data-testid="compare-diff">
                <Table.Thead>
                  <Table.Tr>
                    <Table.Th>{diff.length} feature{diff.length === 1 ? " differs" : "s differ"}</Table.Th>
                    <Table.Th>{envLink(left)}</Table.Th>
                    <Table.Th>{envLink(right)}</Table.Th>
                  </Table.Tr>
                </Table.Thead>
                <Table.Tbody>
                  {diff.map((feature) => (
                    <Table.Tr key={feature.id} data-testid={`diff-${feature.name}`}>
                      <Table.Td fw={600}>{feature.name}</Table.Td>
                      {[left, right].map((environment) => {
                        const state = statesOf(environment)?.[feature.id];
                        return (
                          <Table.Td key={environment.id}>
                            <Text size="sm">
                              {state?.enabled ? "on" : "off"} · <span style={{ fontFamily: "monospace" }}>{showValue(state?.feature_state_value)}</span>
                            </Text>
                          </Table.Td>
                        );
                      })}
                    </Table.Tr>
                  ))}
                </Table.Tbody>
              </Table>
            </Table.ScrollContainer>
          )}
        </Stack>
      )}
      {confirm.dialog}
      {undo.offer && <UndoBar key={undo.offer.id} label={undo.offer.label} onUndo={undo.undo} onDismiss={undo.dismiss} />}
    </>
  );
}
