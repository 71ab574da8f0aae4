import { useQuery, useQueryClient } from "@tanstack/react-query";
import { createContext, useCallback, useContext, useEffect, useMemo, useState, type ReactNode } from "react";
import { api, getToken, setToken, setUnauthorisedHandler, unwrap, type Schemas } from "./api/client";

interface AuthState {
  token: string | null;
  user: Schemas["CurrentUser"] | undefined;
  logIn: (token: string) => void;
  logOut: () => void;
}

const AuthContext = createContext<AuthState | null>(null);

export function AuthProvider({ children }: { children: ReactNode }) {
  const [token, setTokenState] = useState<string | null>(() => getToken());
  const queryClient = useQueryClient();

  const logIn = useCallback(
    (key: string) => {
      setToken(key);
      queryClient.clear();
      setTokenState(key);
    },
    [queryClient],
  );
  const logOut = useCallback(() => {
    const had = getToken();
    setToken(null);
    queryClient.clear();
    setTokenState(null);
    // Best effort: the token stops working on the server too.
    if (had) void fetch("/api/v1/auth/logout/", { method: "POST", headers: { Authorization: `Token ${had}` } });
  }, [queryClient]);

  useEffect(() => {
    setUnauthorisedHandler(() => {
      setToken(null);
      setTokenState(null);
    });
  }, []);

  const me = useQuery({
    queryKey: ["me", token],
    queryFn: () => unwrap(api.GET("/api/v1/auth/users/me/")),
    enabled: Boolean(token),
    staleTime: 60_000,
  });

  const value = useMemo(() => ({ token, user: me.data, logIn, logOut }), [token, me.data, logIn, logOut]);
  return <AuthContext.Provider value={value}>{children}</AuthContext.Provider>;
}

export function useAuth(): AuthState {
  const state = useContext(AuthContext);
  if (!state) throw new Error("useAuth outside AuthProvider");
  return state;
}
