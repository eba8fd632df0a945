import type { analyticsEn } from "./analytics.en";

/** Strings of the Analytics pages in Portuguese (spread into `pt-BR.ts`); the compiler checks every key. */
export const analyticsPtBR: Record<keyof typeof analyticsEn, string> = {
  "nav.attribution": "Atribuição",

  "analytics.attribution.title": "Modelos de atribuição",
  "analytics.attribution.description":
    "Como cada modelo credita as mesmas conversões aos seus canais ou campanhas, e quanto desloca o crédito em relação ao último clique.",
  "analytics.attribution.level": "Creditar por",
  "analytics.attribution.level.channel": "Canal",
  "analytics.attribution.level.campaign": "Campanha",
  "analytics.attribution.conversion": "Conversão",
  "analytics.attribution.conversion.lead": "Leads",
  "analytics.attribution.conversion.won": "Negócios ganhos",
  "analytics.attribution.period": "Período",
  "analytics.attribution.preset.last_7_days": "Últimos 7 dias",
  "analytics.attribution.preset.last_30_days": "Últimos 30 dias",
  "analytics.attribution.preset.last_90_days": "Últimos 90 dias",
  "analytics.attribution.preset.this_month": "Este mês",
  "analytics.attribution.preset.last_month": "Mês passado",
  "analytics.attribution.preset.last_12_months": "Últimos 12 meses",
  "analytics.attribution.metric": "Mostrar",
  "analytics.attribution.metric.conversions": "Conversões",
  "analytics.attribution.metric.revenue": "Receita",
  "analytics.attribution.export": "Exportar CSV",
  "analytics.attribution.key": "Chave",
  "analytics.attribution.shift": "vs último clique",
  "analytics.attribution.sortBy": "Ordenar por {column}",
  "analytics.attribution.chart": "Crédito por modelo (os {count} maiores no último clique)",
  "analytics.attribution.summary":
    "{conversions} conversões ({untracked} sem nenhuma visita rastreada), {touches} pontos de contato, {nonConverting} visitantes que não converteram (lidos pelo Markov). Janela de {lookback} dias, meia-vida do decaimento de {halfLife} dias.",
  "analytics.attribution.otherCurrencies": "A receita em {currencies} fica de fora (sem conversão de moeda); essas conversões continuam creditadas.",
  "analytics.attribution.empty":
    "Nenhuma conversão neste período. Escolha um período maior ou verifique se os leads são capturados com o rastreador instalado nas suas páginas.",
  "analytics.attribution.definitions": "Como cada modelo credita",
  "analytics.attribution.untracked": "(sem visita rastreada)",
  "analytics.attribution.none": "(nenhum)",

  "analytics.model.first_touch": "Primeiro toque",
  "analytics.model.last_touch": "Último toque",
  "analytics.model.last_non_direct": "Último não direto",
  "analytics.model.linear": "Linear",
  "analytics.model.time_decay": "Decaimento temporal",
  "analytics.model.position_based": "Baseado em posição",
  "analytics.model.markov": "Cadeia de Markov",
  "analytics.model.shapley": "Valor de Shapley",

  "analytics.definition.first_touch": "Toda a conversão para o primeiro toque da jornada (\"primeiro clique\" do Google Ads).",
  "analytics.definition.last_touch": "Toda a conversão para o último toque antes dela (\"último clique\" do Google Ads).",
  "analytics.definition.last_non_direct": "Toda a conversão para o último toque que não é Direto; uma jornada só de toques Diretos credita o Direto (\"último clique não direto\" do Google Analytics).",
  "analytics.definition.linear": "A conversão dividida igualmente entre os toques da jornada; um canal tocado duas vezes recebe duas partes (\"linear\" do Google Ads).",
  "analytics.definition.time_decay": "Cada toque pesa 2^(−dias antes da conversão / meia-vida), normalizado por jornada; meia-vida de 7 dias se não configurada (\"decaimento temporal\" do Google Ads).",
  "analytics.definition.position_based": "40 % para o primeiro toque, 40 % para o último e 20 % divididos entre os do meio; um toque fica com tudo, dois com metade cada (\"baseado em posição\" do Google Ads).",
  "analytics.definition.markov": "Cadeia de Markov de primeira ordem das jornadas (repetições seguidas unidas; jornadas sem conversão terminam num estado nulo). O efeito de remoção de um canal é quanto cai a probabilidade de converter sem ele, calculado de forma exata; as conversões são divididas na proporção dos efeitos de remoção (Anderl et al., 2016).",
  "analytics.definition.shapley": "Valor de Shapley exato do jogo em que um conjunto de canais vale as conversões das jornadas cujos canais pertencem todos a ele: cada conversão é dividida igualmente entre seus canais distintos (Shapley, 1953; Zhao et al., 2018).",
};
