import { execFileSync } from 'node:child_process';
import { chmodSync, copyFileSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const REPO = resolve(import.meta.dirname, '..', '..');

/**
 * The .deb under test: GRIDGATE_TEST_DEB when set (a package built before, e.g. by CI's
 * `npm run package:deb`), else built now with scripts/package-deb.sh into `out`.
 */
export function buildDeb(out: string): string {
  if (process.env.GRIDGATE_TEST_DEB) return resolve(process.env.GRIDGATE_TEST_DEB);
  const printed = execFileSync('bash', [join(REPO, 'scripts', 'package-deb.sh'), '--fast', '--out', out], {
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return printed.trim().split('\n').pop()!;
}

/**
 * The same package as a newer version (control Version and package.json bumped), standing in for
 * the next release in the upgrade test.
 */
export function bumpedDeb(deb: string, version: string, out: string): string {
  const dir = join(out, `bump-${version}`);
  execFileSync('rm', ['-rf', dir]);
  mkdirSync(out, { recursive: true });
  execFileSync('dpkg-deb', ['-R', deb, dir]);
  const control = join(dir, 'DEBIAN', 'control');
  writeFileSync(control, readFileSync(control, 'utf8').replace(/^Version: .*$/m, `Version: ${version}`));
  const pkgJson = join(dir, 'usr', 'lib', 'gridgate', 'package.json');
  writeFileSync(pkgJson, readFileSync(pkgJson, 'utf8').replace(/"version": "[^"]+"/, `"version": "${version}"`));
  const md5 = execFileSync('bash', ['-c', `cd '${dir}' && find . -path ./DEBIAN -prune -o -type f -printf '%P\\0' | sort -z | xargs -0 md5sum`], {
    encoding: 'utf8',
  });
  writeFileSync(join(dir, 'DEBIAN', 'md5sums'), md5);
  const target = join(out, `gridgate_${version}_${execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim()}.deb`);
  execFileSync('fakeroot', ['dpkg-deb', '--root-owner-group', '-Zgzip', '--build', dir, target], { stdio: 'ignore' });
  return target;
}

/**
 * A `nodejs` package holding this machine's Node 20 binary: it stands in for the NodeSource
 * (or Debian 13) nodejs package, which cannot be downloaded here, so that dpkg checks the
 * gridgate package's Depends as it would on a site.
 */
export function nodejsStandInDeb(out: string): string {
  const version = process.versions.node;
  const dir = join(out, 'nodejs-stand-in');
  execFileSync('rm', ['-rf', dir]);
  mkdirSync(join(dir, 'DEBIAN'), { recursive: true });
  mkdirSync(join(dir, 'usr', 'bin'), { recursive: true });
  copyFileSync(process.execPath, join(dir, 'usr', 'bin', 'node'));
  chmodSync(join(dir, 'usr', 'bin', 'node'), 0o755);
  const arch = execFileSync('dpkg', ['--print-architecture'], { encoding: 'utf8' }).trim();
  writeFileSync(
    join(dir, 'DEBIAN', 'control'),
    `Package: nodejs\nVersion: ${version}-1gridgate-test\nArchitecture: ${arch}\nMaintainer: gridgate tests <gridgate@example.com>\nDepends: libc6, libstdc++6, libgcc-s1\nDescription: Node.js ${version} (test stand-in)\n the node binary of the machine running the tests.\n`,
  );
  const target = join(out, `nodejs_${version}_${arch}.deb`);
  execFileSync('fakeroot', ['dpkg-deb', '--root-owner-group', '-Zgzip', '--build', dir, target], { stdio: 'ignore' });
  return target;
}

export function listDebs(dir: string): string[] {
  return readdirSync(dir).filter((f) => f.endsWith('.deb'));
}
