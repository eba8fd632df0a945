/**
 * Checkout platforms whose sales arrive by webhook: the URL to paste in the platform is
 * `/api/payments/platforms/{service}/{credential id}` (the credential's secret
 * authenticates each delivery; the service name is the platform's).
 */
export const PLATFORM_SERVICES: ReadonlySet<string> = new Set([
  "hotmart",
  "kiwify",
  "eduzz",
  "shopify",
  "yampi",
  "perfectpay",
  "cakto",
  "orders",
]);

export function platformWebhookUrl(service: string, credentialId: string, origin: string): string | null {
  return PLATFORM_SERVICES.has(service) ? `${origin}/api/payments/platforms/${service}/${credentialId}` : null;
}
