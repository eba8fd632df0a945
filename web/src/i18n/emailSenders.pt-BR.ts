import type { emailSendersEn } from "./emailSenders.en";

/** Textos dos envios por API de provedor nas configurações de remetentes (em `pt-BR.ts`). */
export const emailSendersPtBR: Record<keyof typeof emailSendersEn, string> = {
  "email.sender.kind.ses": "Amazon SES",
  "email.sender.kind.sendgrid": "SendGrid",
  "email.sender.kind.postmark": "Postmark",
  "email.sender.kind.mailgun": "Mailgun",
  "email.sender.kind.apiHint": "Envia pela API de {provider} com a sua chave, guardada criptografada no cofre. Configure o webhook dela (listado abaixo depois de cadastrar) para receber devoluções e reclamações.",
  "email.provider.credential": "Chave de {provider}",
  "email.provider.newKey": "Informar uma chave nova",
  "email.provider.maskedHint": "Guardada criptografada; depois disso só aparece mascarada.",
  "email.provider.apiKey": "Chave de API",
  "email.provider.ses.keyId": "ID da chave de acesso",
  "email.provider.ses.secret": "Chave de acesso secreta",
  "email.provider.ses.region": "Região",
  "email.provider.ses.regionHint": "Onde a sua identidade do SES está verificada, por exemplo sa-east-1 (São Paulo) ou us-east-1.",
  "email.provider.postmark.token": "Token de API do servidor",
  "email.provider.postmark.stream": "Fluxo de mensagens",
  "email.provider.postmark.streamHint": "Campanhas vão para um fluxo de envio em massa; “broadcast” é o padrão do Postmark.",
  "email.provider.mailgun.domain": "Domínio de envio",
  "email.provider.mailgun.region": "Região da conta",
  "email.provider.mailgun.us": "Estados Unidos (api.mailgun.net)",
  "email.provider.mailgun.eu": "Europa (api.eu.mailgun.net)",
};
