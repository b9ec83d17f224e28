/**
 * p2pnc's version, written once: package.json's `version`. The CLI's `--version`, the API client's User-Agent and the
 * default image tag read it here, the image's label reads package.json (scripts/image/build.sh), and the bundle
 * carries this one field of package.json (scripts/image/bundle.mjs).
 */
import packageJson from '../../package.json' with { type: 'json' };

export const P2PNC_VERSION: string = packageJson.version;
