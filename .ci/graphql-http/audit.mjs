// The graphql-http conformance audit against a running server: `node audit.mjs URL [ALLOWED_IDS_FILE]`.
// Prints every result; exits 1 when a MUST or SHOULD audit fails that the allowed file (one audit id per
// line, `#` comments: the ones docs/decisions.md justifies) does not name, or when an allowed one passes
// (the exemption is stale and must go).
import { readFileSync } from "node:fs";
import { serverAudits } from "graphql-http";

const [url, allowedFile] = process.argv.slice(2);
if (!url) {
  console.error("usage: node audit.mjs URL [ALLOWED_IDS_FILE]");
  process.exit(2);
}
const allowed = new Set(
  allowedFile
    ? readFileSync(allowedFile, "utf8")
        .split("\n")
        .map((line) => line.replace(/#.*/, "").trim())
        .filter(Boolean)
    : [],
);

let problems = 0;
const counts = { ok: 0, warn: 0, error: 0 };
for (const audit of serverAudits({ url })) {
  const result = await audit.fn();
  counts[result.status] += 1;
  const level = audit.name.split(" ")[0];
  const failed = result.status !== "ok" && level !== "MAY";
  let mark = result.status === "ok" ? "ok  " : level === "MAY" ? "may " : "FAIL";
  if (failed && allowed.has(audit.id)) mark = "exempt";
  else if (failed) problems += 1;
  if (!failed && allowed.has(audit.id)) {
    mark = "STALE";
    problems += 1;
  }
  const reason = result.status === "ok" ? "" : ` -- ${result.reason}`;
  console.log(`${mark.padEnd(6)} ${audit.id} ${audit.name}${reason}`);
}
console.log(`${counts.ok} ok, ${counts.warn} warnings, ${counts.error} errors; ${problems} not allowed`);
process.exit(problems ? 1 : 0);
