import { MantineProvider, createTheme } from "@mantine/core";
import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { useState, type ReactNode } from "react";
import { BrowserRouter, MemoryRouter } from "react-router";
import { ApiError } from "./api/client";
import { AuthProvider } from "./auth";
import type { RuntimeConfig } from "./config";
import { ConfigContext } from "./context";

const theme = createTheme({ primaryColor: "indigo", defaultRadius: "sm" });

export function makeQueryClient(): QueryClient {
  return new QueryClient({
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        // A refusal (4xx) will not change by asking again.
        retry: (count, error) => !(error instanceof ApiError && error.status >= 400 && error.status < 500) && count < 2,
        refetchOnWindowFocus: false,
      },
    },
  });
}

/** Everything the app needs around it; tests pass a path and get a MemoryRouter. */
export function Providers({
  config,
  children,
  initialPath,
  queryClient,
}: {
  config: RuntimeConfig;
  children: ReactNode;
  initialPath?: string;
  queryClient?: QueryClient;
}) {
  const [client] = useState(() => queryClient ?? makeQueryClient());
  const router = (inner: ReactNode) =>
    initialPath !== undefined ? (
      <MemoryRouter initialEntries={[initialPath]}>{inner}</MemoryRouter>
    ) : (
      <BrowserRouter>{inner}</BrowserRouter>
    );
  return (
    <ConfigContext.Provider value={config}>
      <MantineProvider theme={theme}>
        <QueryClientProvider client={client}>{router(<AuthProvider>{children}</AuthProvider>)}</QueryClientProvider>
      </MantineProvider>
    </ConfigContext.Provider>
  );
}
