import { ReportFilterBar } from "./ReportFilterBar";

/** The Overview report (being built). */
export default function Overview() {
  return (
    <div className="grid gap-4">
      <ReportFilterBar />
    </div>
  );
}
