// The typed admin API client: paths, parameters and bodies come from schema.d.ts, which
// `npm run gen:api` generates from openapi.json (the server's schema), so an API change
// breaks `tsc`, not the user.
import createClient, { type Middleware } from "openapi-fetch";
import type { components, paths } from "./schema";

export type Schemas = components["schemas"];

const TOKEN_KEY = "banderole.token";

export function getToken(): string | null {
  return window.localStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) window.localStorage.setItem(TOKEN_KEY, token);
  else window.localStorage.removeItem(TOKEN_KEY);
}

/** Called when the server says the token is no longer valid (set by the auth provider). */
let onUnauthorised: () => void = () => {};
export function setUnauthorisedHandler(handler: () => void): void {
  onUnauthorised = handler;
}

const auth: Middleware = {
  onRequest({ request }) {
    const token = getToken();
    if (token) request.headers.set("Authorization", `Token ${token}`);
    return request;
  },
  onResponse({ response, request }) {
    if (response.status === 401 && request.headers.has("Authorization")) onUnauthorised();
    return response;
  },
};

/** The origin part of the runtime config's api_url: the generated paths carry /api/v1/ themselves. */
export function apiBaseUrl(apiUrl: string): string {
  const url = new URL(apiUrl, window.location.href);
  return url.href.replace(/\/api\/v1\/?$/, "");
}

export let api = createClient<paths>({ baseUrl: window.location.origin });
api.use(auth);

export function configureApi(apiUrl: string): void {
  api = createClient<paths>({ baseUrl: apiBaseUrl(apiUrl) });
  api.use(auth);
}

/**
 * An API refusal with the server's words: DRF's ``{"detail": ...}``, ``{"field": [...]}``
 * (nested for segment rules) or ``{"non_field_errors": [...]}``.
 */
export class ApiError extends Error {
  readonly status: number;
  readonly body: unknown;

  constructor(status: number, body: unknown) {
    super(describeError(status, body));
    this.status = status;
    this.body = body;
  }

  /** The messages for one field (``path`` may go into nested objects and lists), or undefined. */
  field(...path: (string | number)[]): string | undefined {
    let node: unknown = this.body;
    for (const part of path) {
      if (node === null || typeof node !== "object") return undefined;
      node = (node as Record<string | number, unknown>)[part];
    }
    return messagesOf(node);
  }

  /** What is wrong overall: detail or non_field_errors, else every message in the body. */
  get summary(): string {
    return this.message;
  }
}

function messagesOf(node: unknown): string | undefined {
  if (typeof node === "string") return node;
  if (Array.isArray(node) && node.every((item) => typeof item === "string")) return node.join(" ");
  return undefined;
}

function allMessages(node: unknown, prefix = ""): string[] {
  const own = messagesOf(node);
  if (own) return [prefix ? `${prefix}: ${own}` : own];
  if (Array.isArray(node)) return node.flatMap((item) => allMessages(item, prefix));
  if (node && typeof node === "object") {
    return Object.entries(node).flatMap(([key, value]) =>
      allMessages(value, key === "detail" || key === "non_field_errors" ? prefix : key),
    );
  }
  return [];
}

function describeError(status: number, body: unknown): string {
  if (status === 0) return "The server could not be reached. Check your connection and try again.";
  const messages = allMessages(body);
  if (messages.length) return messages.join(" ");
  if (status === 403) return "You do not have permission to do this.";
  if (status === 404) return "This no longer exists, or you cannot see it.";
  if (status >= 500) return `The server failed (${status}). Try again in a moment.`;
  return `The request failed (${status}).`;
}

type Result<T> = { data?: T; error?: unknown; response: Response };

/** The data of a successful call, or an ApiError carrying the server's explanation. */
export async function unwrap<T>(call: Promise<Result<T>>): Promise<T> {
  let result: Result<T>;
  try {
    result = await call;
  } catch {
    throw new ApiError(0, null);
  }
  if (result.error !== undefined || !result.response.ok) {
    throw new ApiError(result.response.status, result.error ?? null);
  }
  return result.data as T;
}

/** A DRF page. */
export interface Page<T> {
  count: number;
  next?: string | null;
  previous?: string | null;
  results: T[];
}

export const PAGE_SIZE = 20;
