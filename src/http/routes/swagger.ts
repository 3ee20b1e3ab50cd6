// OpenAPI at /swagger (JSON at /swagger/json); the UI script is served from the binary, never a CDN.
import { swagger } from "@elysiajs/swagger";
import { Elysia } from "elysia";
import scalarBundle from "../../../node_modules/@scalar/api-reference/dist/browser/standalone.js" with { type: "file" };
import { BUILD_INFO } from "../../build-info.ts";

export const SCALAR_ASSET_PATH = "/swagger-assets/scalar-standalone.js";

export function swaggerRoutes() {
  return new Elysia({ name: "routes.swagger" })
    .get(SCALAR_ASSET_PATH, () => new Response(Bun.file(scalarBundle), { headers: { "content-type": "text/javascript; charset=utf-8", "cache-control": "public, max-age=86400" } }), {
      detail: { hide: true },
    })
    .use(
      swagger({
        path: "/swagger",
        provider: "scalar",
        scalarCDN: SCALAR_ASSET_PATH,
        documentation: {
          info: {
            title: "Findings Ledger",
            version: BUILD_INFO.version,
            description: "Append-only, tamper-evident ledger of security-finding workflow decisions. Tenant routes need `Authorization: Bearer <token>` and `X-Stella-Tenant`.",
          },
        },
      }),
    );
}
