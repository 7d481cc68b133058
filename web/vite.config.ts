import { defineConfig } from 'vitest/config';

// No @vitejs/plugin-react: Vite's built-in transformer compiles TSX with React's automatic
// JSX runtime, which is all a production build needs (we give up only fast refresh in dev).
export default defineConfig({
  base: '/',
  oxc: { jsx: { runtime: 'automatic', importSource: 'react' } },
  build: {
    outDir: 'dist',
    sourcemap: false,
    target: 'es2020',
  },
  server: {
    // `npm run dev` proxies the API to a local gateway (make dev runs one on 8080).
    proxy: { '/api': process.env.LOGCENTER_API ?? 'http://127.0.0.1:8080' },
  },
  test: {
    environment: 'happy-dom',
    include: ['src/**/*.test.{ts,tsx}'],
    restoreMocks: true,
  },
});
