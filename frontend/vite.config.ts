/// <reference types="vitest/config" />
import react from "@vitejs/plugin-react";
import { defineConfig } from "vite";

// In development the Django server (make serve) answers the API; Vite serves the app.
const django = process.env.BANDEROLE_API ?? "http://127.0.0.1:8000";

export default defineConfig(({ command }) => ({
  plugins: [react()],
  // Django serves the built assets from STATIC_URL (whitenoise over STATIC_ROOT).
  base: command === "build" ? "/static/" : "/",
  build: {
    outDir: "dist",
    emptyOutDir: true,
    assetsDir: "dashboard",
    chunkSizeWarningLimit: 1500,
  },
  server: {
    proxy: Object.fromEntries(["/api", "/config", "/admin", "/static/admin"].map((path) => [path, django])),
  },
  test: {
    environment: "jsdom",
    globals: true,
    setupFiles: ["src/test/setup.ts"],
    include: ["src/**/*.test.{ts,tsx}"],
    css: false,
    testTimeout: 15000,
  },
}));
