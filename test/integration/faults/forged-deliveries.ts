// Webhook deliveries as an attacker or a broken proxy would send them: wrong, missing or mangled
// signatures, bodies changed after signing, bodies that are not JSON. Each would enqueue work if
// it were genuine (a pull_request.opened or a `/apply` comment with an installation).
import { createHmac, randomUUID } from "node:crypto";
import { sign } from "@octokit/webhooks-methods";

type Json = Record<string, any>;
type Headers = Record<string, string>;

export interface Forged {
  label: string;
  headers: Headers;
  body: string | Buffer;
}

export async function signedHeaders(event: string, body: string, secret: string): Promise<Headers> {
  // sign() refuses an empty payload; the HMAC of "" is still what a sender would compute.
  const signature = body === "" ? `sha256=${createHmac("sha256", secret).update("").digest("hex")}` : await sign(secret, body);
  return { "content-type": "application/json", "x-github-event": event, "x-github-delivery": randomUUID(), "x-hub-signature-256": signature };
}

function without(headers: Headers, name: string): Headers {
  const { [name]: _, ...rest } = headers;
  return rest;
}

/** The example's pull_request.opened, for pull request `number` of installation 77. */
export function openedPull(opened: Json, number: number): Json {
  return { ...opened, number, pull_request: { ...opened.pull_request, number }, installation: { id: 77 } };
}

/** One hundred deliveries that must each get a 4xx and change nothing. */
export async function forgedDeliveries(secret: string, examples: { opened: Json; commentCreated: Json }): Promise<Forged[]> {
  // A pull request number of its own per delivery: had one been accepted, it would be a new job.
  const genuine = (n: number) => JSON.stringify(openedPull(examples.opened, 9000 + n));
  const applyComment = JSON.stringify({
    ...examples.commentCreated,
    installation: { id: 77 },
    issue: { ...examples.commentCreated.issue, pull_request: {} },
    comment: { ...examples.commentCreated.comment, body: "/apply" },
  });
  const signed = (body: string, key = secret) => signedHeaders("pull_request", body, key);
  const notJson = ["{not json", "", "\u0000\u0001\u0002", "<xml/>", '{"action":"opened"'];

  const cases: { label: string; times: number; make: (n: number) => Promise<Omit<Forged, "label">> }[] = [
    { label: "wrong secret", times: 20, make: async (n) => ({ headers: await signed(genuine(n), `wrong-${n}`), body: genuine(n) }) },
    { label: "signature of another body", times: 10, make: async (n) => ({ headers: await signed(genuine(n + 1)), body: genuine(n) }) },
    {
      label: "random sha256 signature",
      times: 5,
      make: async (n) => ({
        headers: { ...(await signed(genuine(n))), "x-hub-signature-256": `sha256=${Buffer.alloc(32, n).toString("hex")}` },
        body: genuine(n),
      }),
    },
    {
      label: "truncated signature",
      times: 5,
      make: async (n) => {
        const h = await signed(genuine(n));
        return { headers: { ...h, "x-hub-signature-256": h["x-hub-signature-256"]!.slice(0, 30 + n) }, body: genuine(n) };
      },
    },
    {
      label: "signature without its sha256= prefix",
      times: 5,
      make: async (n) => {
        const h = await signed(genuine(n));
        return { headers: { ...h, "x-hub-signature-256": h["x-hub-signature-256"]!.replace("sha256=", "") }, body: genuine(n) };
      },
    },
    {
      label: "only a legacy sha1 header",
      times: 5,
      make: async (n) => ({
        headers: { ...without(await signed(genuine(n)), "x-hub-signature-256"), "x-hub-signature": `sha1=${"ab".repeat(20)}` },
        body: genuine(n),
      }),
    },
    { label: "no signature", times: 5, make: async (n) => ({ headers: without(await signed(genuine(n)), "x-hub-signature-256"), body: genuine(n) }) },
    {
      label: "body changed after signing",
      times: 5,
      make: async (n) => ({ headers: await signed(genuine(n)), body: genuine(n).replace('"opened"', '"reopened"') }),
    },
    {
      label: "/apply comment with a wrong secret",
      times: 5,
      make: async () => ({ headers: await signedHeaders("issue_comment", applyComment, "nope"), body: applyComment }),
    },
    { label: "correctly signed body that is not JSON", times: 10, make: async (n) => ({ headers: await signed(notJson[n % 5]!), body: notJson[n % 5]! }) },
    {
      label: "unsigned garbage",
      times: 10,
      make: async (n) => {
        const body = n % 2 === 0 ? "garbage".repeat(n + 1) : "{}";
        return { headers: without(await signedHeaders("push", body, secret), "x-hub-signature-256"), body };
      },
    },
    { label: "invalid UTF-8, wrongly signed", times: 5, make: async () => ({ headers: await signed("x"), body: Buffer.from([0x7b, 0xff, 0xfe, 0x22, 0x7d]) }) },
    {
      label: "1 MB body, wrongly signed",
      times: 5,
      make: async (n) => {
        const body = JSON.stringify({ ...examples.opened, installation: { id: 77 }, padding: "x".repeat(1024 * 1024) });
        return { headers: await signed(body, `bad-${n}`), body };
      },
    },
    {
      label: "correctly signed, no event header",
      times: 5,
      make: async (n) => ({ headers: without(await signed(genuine(n)), "x-github-event"), body: genuine(n) }),
    },
  ];

  const out: Forged[] = [];
  for (const c of cases) for (let n = 0; n < c.times; n++) out.push({ label: `${c.label} #${n}`, ...(await c.make(n)) });
  return out;
}
