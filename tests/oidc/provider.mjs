// A real OpenID provider (node-oidc-provider) for the identity tests, on loopback. Any login works
// (the provider's own development sign-in and consent pages); the account's e-mail is <login>@inst.example,
// and it is verified unless the login starts with "unverified". Settings come from the environment:
// PORT, CLIENT_ID, CLIENT_SECRET, REDIRECT_URI. Prints "ready <issuer>" once it listens.
import Provider from "oidc-provider";

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const provider = new Provider(issuer, {
  clients: [{
    client_id: process.env.CLIENT_ID,
    client_secret: process.env.CLIENT_SECRET,
    redirect_uris: [process.env.REDIRECT_URI],
    response_types: ["code"],
    grant_types: ["authorization_code"],
  }],
  claims: { openid: ["sub"], email: ["email", "email_verified"], profile: ["name"] },
  cookies: { keys: ["a-test-only-cookie-key"] },
  pkce: { required: () => true },
  async findAccount(ctx, id) {
    return {
      accountId: id,
      async claims() {
        return { sub: id, email: `${id}@inst.example`, email_verified: !id.startsWith("unverified"),
                 name: `Member ${id}` };
      },
    };
  },
});
provider.proxy = false;
provider.listen(port, "127.0.0.1", () => {
  process.stdout.write(`ready ${issuer}\n`);
});
