/** Overview: whole-market bar chart, top coins, pulse and alerts. */
import AlertsFeed from "./AlertsFeed.tsx";
import ChangeBarChart from "./ChangeBarChart.tsx";
import PulseTable from "./PulseTable.tsx";
import TopCoinsPanel from "./TopCoinsPanel.tsx";

export default function OverviewView() {
  return (
    <div class="view overview-view">
      <div class="span-2"><ChangeBarChart /></div>
      <TopCoinsPanel />
      <AlertsFeed limit={30} />
      <div class="span-2"><PulseTable /></div>
    </div>
  );
}
