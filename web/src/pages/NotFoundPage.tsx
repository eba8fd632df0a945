import { Link } from "react-router";
import { buttonVariants } from "@/components/ui/button";
import { useI18n } from "@/i18n";

export default function NotFoundPage() {
  const { t } = useI18n();
  return (
    <div className="mx-auto flex max-w-md flex-col items-start gap-3 py-10">
      <h1 className="text-2xl font-semibold">{t("notFound.title")}</h1>
      <p className="text-muted-foreground">{t("notFound.body")}</p>
      <Link to="/" className={buttonVariants()}>
        {t("notFound.home")}
      </Link>
    </div>
  );
}
