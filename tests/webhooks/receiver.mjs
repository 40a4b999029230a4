// An institution's receiver written only from the Standard Webhooks reference library (npm
// standardwebhooks): it verifies each delivery over the body as received and answers with a receipt.
// Usage: node receiver.mjs SECRET  -> prints its port, then one JSON line per delivery.
import http from "node:http";
import { Webhook } from "standardwebhooks";

const wh = new Webhook(process.argv[2]);
const server = http.createServer((req, res) => {
  const chunks = [];
  req.on("data", (c) => chunks.push(c));
  req.on("end", () => {
    const body = Buffer.concat(chunks).toString("utf8");
    let verified = false;
    let error = null;
    try {
      const doc = wh.verify(body, req.headers);
      verified = doc.type === "cpd.submission" && doc.id === req.headers["idempotency-key"];
    } catch (err) {
      error = err.message;
    }
    console.log(JSON.stringify({ id: req.headers["webhook-id"], verified, error,
                                 encoding: req.headers["content-encoding"] || null }));
    res.writeHead(verified ? 200 : 400, { "Content-Type": "application/json" });
    res.end(JSON.stringify(verified ? { receipt_id: "node-" + req.headers["webhook-id"] } : { error }));
  });
});
server.listen(0, "127.0.0.1", () => console.log(JSON.stringify({ port: server.address().port })));
