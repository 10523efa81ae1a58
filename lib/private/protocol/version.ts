/**
 * The version of the wire protocol and the publish contract (semver), which docs/asyncapi.json
 * carries as its `info.version`: it changes with the contracts, not with the npm package. Its
 * major version is the subprotocol's (API_SUBPROTOCOL, `realtime.v1`): a change that breaks
 * clients or publishers comes with a new major version and a new subprotocol; an addition raises
 * the minor version.
 */
export const PROTOCOL_VERSION = '1.0.0';
