/** Public entry of @tensorgate/client (filled in by the client modules). */
export const CLIENT_VERSION = '0.1.0';
