import { defineConfig } from "vite";

// The desktop app embeds ui/dist (tauri.conf.json `frontendDist`).
export default defineConfig({
  root: ".",
  base: "./",
  build: { outDir: "dist", emptyOutDir: true, target: "es2022", sourcemap: false },
});
