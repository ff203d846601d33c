/**
 * Pulp's web server: one origin for the REST API and the content app (the
 * seed's second limitation: API and content served by separate pods behind one
 * hostname). The content prefixes go to the content app, with buffering off so
 * on-demand content streams to the client while the content app fetches it;
 * everything else (the API, login, the container registry's /v2/ and /token/,
 * the static assets) goes to the API. The load balancer in front terminates TLS.
 */
import { nginxPrelude } from "../../kubernetes/metadata-web";

export interface PulpNginxArgs {
  /** Port nginx listens on. */
  port: number;
  /** The API's `host:port`. */
  api: string;
  /** The content app's `host:port`. */
  content: string;
  /** API request bodies (uploads) up to this size (the registry's /v2/ takes any). @default "2g" */
  maxBodySize?: string;
  /** @default "/tmp" */
  tmpDir?: string;
  /** @default "/var/log/nginx/access.log" (the nginx images link it to stdout) */
  accessLog?: string;
}

export function pulpNginxConf(a: PulpNginxArgs): string {
  const tmp = a.tmpDir ?? "/tmp";
  const forward = [
    "proxy_set_header Host $http_host;",
    "proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;",
    // The load balancer terminated TLS: tell Pulp the scheme the client used.
    "proxy_set_header X-Forwarded-Proto $http_x_forwarded_proto;",
    "proxy_http_version 1.1;",
    'proxy_set_header Connection "";',
    "proxy_read_timeout 120s;",
    "proxy_send_timeout 120s;",
    "proxy_redirect off;",
  ];
  const lines = [
    ...nginxPrelude(tmp, a.accessLog),
    "  default_type application/octet-stream;",
    `  client_max_body_size ${a.maxBodySize ?? "2g"};`,
    `  upstream pulp-api { server ${a.api}; keepalive 16; }`,
    `  upstream pulp-content { server ${a.content}; keepalive 16; }`,
    "  server {",
    `    listen ${a.port};`,
    '    location = /health { access_log off; default_type text/plain; return 200 "ok\\n"; }',
    "    # Content (and the container registry's blobs): streamed, never buffered here.",
    "    location ~ ^/pulp/(content|container)/ {",
    "      proxy_pass http://pulp-content;",
    "      proxy_buffering off;",
    ...forward.map((l) => `      ${l}`),
    "    }",
    "    # The container registry's pushes: image layers of any size.",
    "    location /v2/ {",
    "      client_max_body_size 0;",
    "      proxy_request_buffering off;",
    "      proxy_pass http://pulp-api;",
    ...forward.map((l) => `      ${l}`),
    "    }",
    "    location / {",
    "      # Uploads go to the API as they come, not first to a file of the node's.",
    "      proxy_request_buffering off;",
    "      proxy_pass http://pulp-api;",
    ...forward.map((l) => `      ${l}`),
    "    }",
    "  }",
    "}",
  ];
  return lines.join("\n") + "\n";
}
