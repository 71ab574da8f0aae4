// The runtime configuration Django serves at /config/: one bundle fits every deployment.
export interface RuntimeConfig {
  api_url: string;
  version: string;
  allow_signup: boolean;
  allow_registration_without_invite: boolean;
  restrict_org_create_to_superusers: boolean;
}

export const defaultConfig: RuntimeConfig = {
  api_url: "/api/v1/",
  version: "unknown",
  allow_signup: true,
  allow_registration_without_invite: true,
  restrict_org_create_to_superusers: false,
};

export async function loadConfig(): Promise<RuntimeConfig> {
  try {
    const response = await fetch("/config/", { headers: { Accept: "application/json" } });
    if (!response.ok) return defaultConfig;
    return { ...defaultConfig, ...((await response.json()) as Partial<RuntimeConfig>) };
  } catch {
    return defaultConfig;
  }
}
