/**
 * The page's bearer token. There is deliberately no way to get one from the
 * server: a person pastes one (`npm run token -- <user> [admin]`) or opens
 * the page with `?token=`, which is saved in this browser and taken out of
 * the address bar so that it does not stay in the history.
 */
export function bindTokenForm(form: HTMLFormElement, input: HTMLInputElement, storageKey: string): () => string {
  const url = new URL(window.location.href);
  const fromUrl = url.searchParams.get('token');
  if (fromUrl) {
    localStorage.setItem(storageKey, fromUrl);
    url.searchParams.delete('token');
    history.replaceState(null, '', url);
  }
  input.value = localStorage.getItem(storageKey) ?? '';
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    localStorage.setItem(storageKey, input.value.trim());
    form.dispatchEvent(new CustomEvent('token-saved'));
  });
  return () => input.value.trim();
}
