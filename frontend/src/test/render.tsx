import { render } from "@testing-library/react";
import { App } from "../App";
import { configureApi } from "../api/client";
import { defaultConfig, type RuntimeConfig } from "../config";
import { Providers, makeQueryClient } from "../providers";

export const API = "http://localhost:3000/api/v1";

/** The whole app at ``path``, signed in unless ``token`` is null. */
export function renderApp(path: string, { token = "test-token", config = {} }: { token?: string | null; config?: Partial<RuntimeConfig> } = {}) {
  if (token) window.localStorage.setItem("banderole.token", token);
  configureApi("/api/v1/");
  const queryClient = makeQueryClient();
  queryClient.setDefaultOptions({ queries: { ...queryClient.getDefaultOptions().queries, retry: false } });
  return render(
    <Providers config={{ ...defaultConfig, ...config }} initialPath={path} queryClient={queryClient}>
      <App />
    </Providers>,
  );
}
