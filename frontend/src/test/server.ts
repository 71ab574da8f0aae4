import { setupServer } from "msw/node";

/** The API as the component tests need it; each test adds its handlers with server.use(). */
export const server = setupServer();
