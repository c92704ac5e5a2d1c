/**
 * Loads a module that needs an optional peer of the test kit; when the peer is not installed, the error
 * says which package to install instead of Node's bare "Cannot find package".
 */
export async function importWithPeer<T>(load: () => Promise<T>, peer: string, feature: string): Promise<T> {
  try {
    return await load();
  } catch (err) {
    const { code, message } = err as { code?: string; message?: string };
    const notFound = code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND';
    if (notFound && typeof message === 'string' && message.includes(`'${peer}`)) {
      throw new Error(`${feature} needs the optional peer ${peer} (npm install --save-dev ${peer})`, { cause: err });
    }
    throw err;
  }
}
