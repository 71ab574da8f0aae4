import "@mantine/core/styles.css";
import { createRoot } from "react-dom/client";
import { App } from "./App";
import { configureApi } from "./api/client";
import { loadConfig } from "./config";
import { Providers } from "./providers";

void loadConfig().then((config) => {
  configureApi(config.api_url);
  createRoot(document.getElementById("root")!).render(
    <Providers config={config}>
      <App />
    </Providers>,
  );
});
