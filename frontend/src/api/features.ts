// Feature states of one environment, shared by the list (toggles) and the detail page.
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap, type Schemas } from "./client";
import { keys } from "./queries";

type FeatureState = Schemas["FeatureState"];

/** Every environment default of an environment, by feature id (pages of 1000 until done). */
export async function fetchEnvironmentStates(envKey: string): Promise<Record<number, FeatureState>> {
  const byFeature: Record<number, FeatureState> = {};
  for (let page = 1; ; page += 1) {
    const data = await unwrap(
      api.GET("/api/v1/environments/{environment_api_key}/featurestates/", {
        params: { path: { environment_api_key: envKey }, query: { page, page_size: 1000 } },
      }),
    );
    for (const state of data.results) byFeature[state.feature] = state;
    if (!data.next) return byFeature;
  }
}

export function useEnvironmentStates(envKey: string | undefined) {
  return useQuery({
    queryKey: keys.featureStates(envKey ?? ""),
    enabled: Boolean(envKey),
    queryFn: () => fetchEnvironmentStates(envKey!),
  });
}

/**
 * Turning a flag on or off in one environment: the switch moves at once, and moves back
 * (with the server's reason) if the change is refused.
 */
export function useToggleFeature(envKey: string) {
  const queryClient = useQueryClient();
  const key = keys.featureStates(envKey);
  return useMutation({
    mutationFn: ({ state, enabled }: { state: FeatureState; enabled: boolean }) =>
      unwrap(
        api.PATCH("/api/v1/environments/{environment_api_key}/featurestates/{id}/", {
          params: { path: { environment_api_key: envKey, id: String(state.id) } },
          body: { enabled },
        }),
      ),
    onMutate: async ({ state, enabled }) => {
      await queryClient.cancelQueries({ queryKey: key });
      const before = queryClient.getQueryData<Record<number, FeatureState>>(key);
      queryClient.setQueryData<Record<number, FeatureState>>(key, (states) =>
        states ? { ...states, [state.feature]: { ...state, enabled } } : states,
      );
      return { before };
    },
    onError: (_error, _variables, context) => {
      if (context?.before) queryClient.setQueryData(key, context.before);
    },
    onSuccess: (saved) => {
      queryClient.setQueryData<Record<number, FeatureState>>(key, (states) =>
        states ? { ...states, [saved.feature]: saved } : states,
      );
    },
  });
}
