/**
 * The metadata web server, run for real: nginx (Debian's) on the configuration
 * the program renders, in both its modes (a volume; a proxy in front of the S3
 * gateway, played by a loopback origin), with a TUF client (tuf-js) reading a
 * repository laid out as RSTUF writes it, signed by an online key whose id is
 * the one the program computes.
 */
import * as assert from "assert";
import * as fs from "fs";
import * as http from "http";
import * as path from "path";
import { Updater } from "tuf-js";
import { metadataNginxConf } from "../components/kubernetes/metadata-web";
import { tempDir } from "./checks";
import { freePort, NginxServer, startNginx } from "./servers";
import { ed25519Key, TestRepository } from "./tuf-repo";

/** A TUF client that trusts the repository's root, refreshed against `base`; returns the timestamp version it trusts. */
async function clientRefresh(repo: TestRepository, base: string, metadataDir: string): Promise<number> {
  if (!fs.existsSync(path.join(metadataDir, "root.json"))) fs.writeFileSync(path.join(metadataDir, "root.json"), repo.rootJson());
  const updater = new Updater({ metadataDir, metadataBaseUrl: base, targetBaseUrl: `${base}/targets` });
  await updater.refresh();
  return JSON.parse(fs.readFileSync(path.join(metadataDir, "timestamp.json"), "utf8")).signed.version;
}

describe("RSTUF metadata web server (nginx + tuf-js)", function () {
  this.timeout(60_000);

  it("renders a configuration nginx accepts in both production modes", async () => {
    // The exact text the pods get (the component renders these), checked by nginx -t.
    for (const conf of [metadataNginxConf({ port: 8000, root: "/var/opt/repository-service-tuf/storage" }), metadataNginxConf({ port: 8000, upstream: "http://127.0.0.1:8080" })]) {
      const dir = tempDir("ts-nginx-t-");
      const file = path.join(dir, "nginx.conf");
      // Only the log's path differs from the pods' (there the nginx images link it to stdout).
      fs.writeFileSync(file, conf.replace("/var/log/nginx/access.log", path.join(dir, "access.log")));
      const { spawnSync } = await import("child_process");
      const r = spawnSync(fs.existsSync("/usr/sbin/nginx") ? "/usr/sbin/nginx" : "nginx", ["-t", "-p", dir, "-c", file], { encoding: "utf8" });
      assert.strictEqual(r.status, 0, r.stderr);
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });

  describe("from a volume (LocalStorage)", () => {
    let dir: string;
    let nginx: NginxServer;
    let base: string;
    let repo: TestRepository;

    before(async () => {
      dir = tempDir("ts-rstuf-web-");
      repo = new TestRepository(path.join(dir, "storage"), ed25519Key(), ed25519Key());
      fs.chmodSync(path.join(dir, "storage"), 0o755);
      const port = await freePort();
      fs.mkdirSync(path.join(dir, "tmp"), { mode: 0o777 });
      fs.chmodSync(path.join(dir, "tmp"), 0o777);
      nginx = await startNginx(metadataNginxConf({ port, root: path.join(dir, "storage"), tmpDir: path.join(dir, "tmp"), accessLog: path.join(dir, "tmp", "access.log") }), port, dir);
      base = `http://127.0.0.1:${port}`;
    });
    after(async () => {
      await nginx?.stop();
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("lets a TUF client refresh, and serves the newest timestamp at once after a bump", async () => {
      const md = tempDir("ts-tuf-client-");
      assert.strictEqual(await clientRefresh(repo, base, md), 1);
      const v = repo.publish();
      assert.strictEqual(await clientRefresh(repo, base, md), v);
      fs.rmSync(md, { recursive: true, force: true });
    });

    it("marks versioned metadata immutable and timestamp.json no-cache; serves nothing else", async () => {
      const ts = await fetch(`${base}/timestamp.json`);
      assert.strictEqual(ts.status, 200);
      assert.strictEqual(ts.headers.get("cache-control"), "no-cache");
      assert.strictEqual(ts.headers.get("content-type"), "application/json");
      const root = await fetch(`${base}/1.root.json`);
      assert.strictEqual(root.status, 200);
      assert.match(root.headers.get("cache-control") ?? "", /immutable/);
      // The next root a client probes for is a 404 that no cache may keep as immutable.
      const next = await fetch(`${base}/${repo.snapshotFiles().length + 1}.root.json`);
      assert.strictEqual(next.status, 404);
      assert.strictEqual(next.headers.get("cache-control"), null);
      assert.strictEqual((await fetch(`${base}/`)).status, 404);
      assert.strictEqual((await fetch(`${base}/../etc/passwd`)).status, 404);
      assert.strictEqual((await fetch(`${base}/timestamp.json`, { method: "PUT", body: "{}" })).status, 403);
    });
  });

  describe("in front of the S3 gateway", () => {
    let dir: string;
    let nginx: NginxServer;
    let origin: http.Server;
    let base: string;
    let repo: TestRepository;
    const hits = new Map<string, number>();

    before(async () => {
      dir = tempDir("ts-rstuf-web-s3-");
      repo = new TestRepository(path.join(dir, "bucket"), ed25519Key(), ed25519Key());
      // The gateway's answers: the object, or S3's 404, with S3's own headers.
      origin = http.createServer((req, res) => {
        const name = (req.url ?? "/").replace(/^\//, "");
        hits.set(name, (hits.get(name) ?? 0) + 1);
        const file = path.join(repo.dir, path.basename(name));
        if (!name || !fs.existsSync(file)) {
          res.writeHead(404, { "content-type": "application/xml" }).end("<Error><Code>NoSuchKey</Code></Error>");
          return;
        }
        res.writeHead(200, { "content-type": "application/json", "x-amz-request-id": "ABC", "x-amz-server-side-encryption": "aws:kms" }).end(fs.readFileSync(file));
      });
      const originPort = await freePort();
      await new Promise<void>((r) => origin.listen(originPort, "127.0.0.1", () => r()));
      const port = await freePort();
      fs.mkdirSync(path.join(dir, "tmp"), { mode: 0o777 });
      fs.chmodSync(path.join(dir, "tmp"), 0o777);
      nginx = await startNginx(metadataNginxConf({ port, upstream: `http://127.0.0.1:${originPort}`, tmpDir: path.join(dir, "tmp"), accessLog: path.join(dir, "tmp", "access.log") }), port, dir);
      base = `http://127.0.0.1:${port}`;
    });
    after(async () => {
      await nginx?.stop();
      await new Promise((r) => origin?.close(r));
      fs.rmSync(dir, { recursive: true, force: true });
    });

    it("lets a TUF client refresh through it, and never serves a timestamp from its cache", async () => {
      const md = tempDir("ts-tuf-client-");
      assert.strictEqual(await clientRefresh(repo, base, md), 1);
      const before = hits.get("timestamp.json") ?? 0;
      const v = repo.publish();
      // Right after the worker writes a new timestamp, the client gets it.
      assert.strictEqual(await clientRefresh(repo, base, md), v);
      assert.strictEqual(hits.get("timestamp.json"), before + 1);
      fs.rmSync(md, { recursive: true, force: true });
    });

    it("caches versioned metadata, not 404s, and hides S3's headers", async () => {
      const first = await fetch(`${base}/1.root.json`);
      assert.strictEqual(first.status, 200);
      await first.arrayBuffer();
      const count = hits.get("1.root.json") ?? 0;
      const again = await fetch(`${base}/1.root.json`);
      assert.strictEqual(again.status, 200);
      assert.strictEqual(again.headers.get("x-amz-request-id"), null);
      assert.strictEqual(again.headers.get("x-amz-server-side-encryption"), null);
      assert.match(again.headers.get("cache-control") ?? "", /immutable/);
      assert.strictEqual(hits.get("1.root.json"), count, "the second read came from nginx's cache");
      // A base URL with a trailing slash (`<base>//1.root.json`) still names the object, not "/1.root.json".
      repo.publish();
      const fresh = `${repo.snapshotFiles().pop()}`;
      const doubled = await fetch(`${base}//${fresh}`);
      assert.strictEqual(doubled.status, 200);
      await doubled.arrayBuffer();
      assert.strictEqual(hits.get(fresh), 1, `the gateway was asked for ${fresh}`);
      assert.strictEqual(hits.get(`/${fresh}`), undefined, "never for a key with a leading slash");
      // A root that does not exist yet is asked of S3 each time: once written, clients see it.
      const probes = hits.get("99.root.json") ?? 0;
      assert.strictEqual((await fetch(`${base}/99.root.json`)).status, 404);
      assert.strictEqual((await fetch(`${base}/99.root.json`)).status, 404);
      assert.strictEqual(hits.get("99.root.json"), probes + 2);
    });
  });
});
