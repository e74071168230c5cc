export type { ViewerAuthority, ViewerGrant, ViewerRefusal } from './grant';
export { isViewerTokenLabel, MAX_LABEL_LENGTH, MAX_TOKEN_TTL_MS, MIN_TOKEN_TTL_MS, SIGNING_KEY_FILE, TOKEN_REGISTER_FILE, ViewerTokenError, ViewerTokens } from './tokens';
export type { CreateViewerToken, MintedViewerToken, ViewerTokensOptions } from './tokens';
export { isViewerScopeList, parseScopeClaim, TOKEN_AUDIENCE, TOKEN_ISSUER, verifyWithPublicKey } from './verify';
export { fingerprintOf, loadShareCertificate, SHARE_CERT_FILE, SHARE_CERT_KEY_FILE } from './certificate';
export type { ShareCertificate, ShareCertificateOptions } from './certificate';
export { viewerLink } from './link';
