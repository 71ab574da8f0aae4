import { createContext, useContext } from "react";
import { defaultConfig, type RuntimeConfig } from "./config";

export const ConfigContext = createContext<RuntimeConfig>(defaultConfig);

export function useConfig(): RuntimeConfig {
  return useContext(ConfigContext);
}
