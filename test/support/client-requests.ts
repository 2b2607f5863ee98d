// Autodiscover request bodies exactly as mail clients send them.

/** A POX request: the two clients differ only in the request namespace and the response schema asked for. */
const requestBody = (schemas: string, responseSchema: string) => (address: string) => `<?xml version="1.0" encoding="utf-8"?>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/${schemas}/requestschema/2006">
  <Request>
    <EMailAddress>${address}</EMailAddress>
    <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/${schemas}/${responseSchema}</AcceptableResponseSchema>
  </Request>
</Autodiscover>`;

/** The body Outlook (2007 and later) posts, as Microsoft documents it. */
export const outlookBody = requestBody('outlook', 'responseschema/2006a');

/** The body an Exchange ActiveSync client posts ([MS-ASCMD] 4.2.1). */
export const mobilesyncBody = requestBody('mobilesync', 'responseschema/2006');

/** Thunderbird's (ExchangeAutoDiscover.sys.mjs): Outlook's schemas, indented inside a template string. */
export const thunderbirdBody = (address: string) => `<?xml version="1.0" encoding="utf-8"?>
    <Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006">
      <Request>
        <EMailAddress>${address}</EMailAddress>
        <AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema>
      </Request>
    </Autodiscover>`;

/** exchangelib's (Autodiscover.payload, serialized by lxml): single-quoted declaration, no whitespace. */
export const exchangelibBody = (address: string) =>
  `<?xml version='1.0' encoding='utf-8'?>\n<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>${address}</EMailAddress><AcceptableResponseSchema>http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a</AcceptableResponseSchema></Request></Autodiscover>`;

/** "Billion laughs": ten levels of entities, each ten of the level below, expanding to 10^9 "lol"s; to be refused unexpanded. */
export const billionLaughsBody = (() => {
  const entities = ['<!ENTITY lol0 "lol">'];
  for (let level = 1; level <= 9; level++) entities.push(`<!ENTITY lol${level} "${`&lol${level - 1};`.repeat(10)}">`);
  return `<?xml version="1.0"?>
<!DOCTYPE lolz [
 ${entities.join('\n ')}
]>
<Autodiscover xmlns="http://schemas.microsoft.com/exchange/autodiscover/outlook/requestschema/2006"><Request><EMailAddress>&lol9;</EMailAddress></Request></Autodiscover>`;
})();
