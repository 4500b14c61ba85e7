import { BusinessUnit } from '../../config/business-unit';
import { PlannedFile, listBuFiles } from '../plan/load-planner';
import { Source } from './source';

/** What the source holds for one BU, and what an operator should know about it. */
export interface FolderReport {
  businessUnit: string;
  /** The BU's folder as configured, with a trailing '/'. */
  folder: string;
  productFiles: number;
  channelFile: boolean;
  /** Empty when the folder holds product or channel files; else why nothing loads, and what to set. */
  warnings: string[];
  checkedAt: Date;
}

/** How long the listing of the source root's folders is reused: it is needed only while a folder is missing. */
const ROOT_FOLDERS_CACHE_MS = 5_000;
const FOLDERS_SHOWN = 10;

/**
 * Whether each BU's folder is there. A folder that is missing (e.g. `gemaire` over a bucket whose
 * folder is `GEMAIRE/`) or holds no files loads nothing and fails nothing, so it said nothing:
 * this turns it into warnings for the banner, the logs, loadStatus and /readyz.
 *
 * Load passes and loadStatus list the BU's files anyway and get the report from that same listing
 * (`list`); only a missing or empty folder costs one more listing, of the root's folders, shared for
 * a few seconds. The latest report per BU is kept for /readyz.
 */
export class FolderCheck {
  private readonly latest = new Map<string, FolderReport>();
  private readonly checking = new Map<string, Promise<FolderReport>>();
  private rootFolders: { at: number; names: Promise<string[]> } | null = null;

  constructor(private readonly source: Source, private readonly units: readonly BusinessUnit[] = []) {}

  /**
   * Lists the BU's files, for a load pass or loadStatus, and reports on that same listing. A failed
   * listing is reported too, then thrown.
   */
  async list(bu: BusinessUnit): Promise<{ files: PlannedFile[]; report: FolderReport }> {
    let files: PlannedFile[];
    try {
      files = await listBuFiles(this.source, bu);
    } catch (err) {
      this.failed(bu, err);
      throw err;
    }
    return { files, report: await this.fromListing(bu, files) };
  }

  /** The report for files already listed for the BU (listBuFiles). */
  async fromListing(bu: BusinessUnit, files: readonly PlannedFile[]): Promise<FolderReport> {
    const productFiles = files.filter((f) => f.kind === 'product').length;
    const channelFile = files.some((f) => f.kind === 'channel');
    const warnings = productFiles || channelFile ? [] : await this.whyEmpty(bu);
    return this.keep({ businessUnit: bu.code, folder: `${bu.sourceFolder}/`, productFiles, channelFile, warnings, checkedAt: new Date() });
  }

  /** The report when listing the source failed: nothing is known but that. */
  failed(bu: BusinessUnit, err: unknown): FolderReport {
    const message = err instanceof Error ? err.message : String(err);
    return this.keep({
      businessUnit: bu.code, folder: `${bu.sourceFolder}/`, productFiles: 0, channelFile: false,
      warnings: [`cannot list ${this.source.url} for ${bu.code}: ${message}`], checkedAt: new Date(),
    });
  }

  /** Lists the BU's files itself (at start, or when no recent report exists); never throws. */
  check(bu: BusinessUnit): Promise<FolderReport> {
    let running = this.checking.get(bu.code);
    if (!running) {
      running = this.list(bu)
        .then(({ report }) => report, () => this.latest.get(bu.code)!)
        .finally(() => this.checking.delete(bu.code));
      this.checking.set(bu.code, running);
    }
    return running;
  }

  /**
   * The latest report, at once: an older one than `maxAgeMs` starts a check in the background (so
   * a probe never waits on S3); only with no report yet does it wait for one.
   */
  async current(bu: BusinessUnit, maxAgeMs: number): Promise<FolderReport> {
    const report = this.latest.get(bu.code);
    if (!report) return this.check(bu);
    if (Date.now() - report.checkedAt.getTime() > maxAgeMs) void this.check(bu);
    return report;
  }

  private keep(report: FolderReport): FolderReport {
    this.latest.set(report.businessUnit, report);
    return report;
  }

  private async whyEmpty(bu: BusinessUnit): Promise<string[]> {
    const where = this.source.url;
    const folder = bu.sourceFolder;
    let names: string[];
    try {
      names = await this.folderNames();
    } catch (err) {
      return [`no product or channel file in folder ${folder}/ of ${where}, and listing its folders failed: ${(err as Error).message}`];
    }
    const caseVariants = names.filter((n) => n !== folder && n.toLowerCase() === folder.toLowerCase());
    const hint = caseVariants.length
      ? `; folder ${caseVariants.map((n) => `${n}/`).join(', ')} exists (folder names are case-sensitive): set BUSINESS_UNITS=${this.suggest(bu, caseVariants[0])}`
      : '';
    if (names.includes(folder)) {
      return [`folder ${folder}/ of ${where} holds no product file (${folder}/PRODUCT/…/ecommerce_*.jsonl[.gz]) and no channel file `
        + `(${folder}/CHANNEL/*.jsonl[.gz]), so nothing loads for ${bu.code}${hint}`];
    }
    if (hint) return [`folder ${folder}/ is not in ${where}, so nothing loads for ${bu.code}${hint}`];
    const shown = names.slice(0, FOLDERS_SHOWN).map((n) => `${n}/`).join(', ') + (names.length > FOLDERS_SHOWN ? ', …' : '');
    return [`folder ${folder}/ is not in ${where}, so nothing loads for ${bu.code}; `
      + (names.length ? `the folders there are ${shown}: check BUSINESS_UNITS (${bu.code}=<folder>) and SOURCE_URL` : 'it has no folders at all: check SOURCE_URL')];
  }

  /** BUSINESS_UNITS as configured, with this BU's folder replaced. */
  private suggest(bu: BusinessUnit, folder: string): string {
    const units = this.units.some((u) => u.code === bu.code) ? this.units : [bu];
    return units.map((u) => {
      const f = u.code === bu.code ? folder : u.sourceFolder;
      return f === u.code.toUpperCase() ? u.code : `${u.code}=${f}`;
    }).join(',');
  }

  private folderNames(): Promise<string[]> {
    if (!this.rootFolders || Date.now() - this.rootFolders.at > ROOT_FOLDERS_CACHE_MS) {
      const names = this.source.folders();
      this.rootFolders = { at: Date.now(), names };
      // A failed listing is not kept: the next caller tries again.
      names.catch(() => { if (this.rootFolders?.names === names) this.rootFolders = null; });
    }
    return this.rootFolders.names;
  }
}

/** The start banner's lines about the BUs: schema, folder, what it holds, and any warning. */
export function folderBannerLines(units: readonly BusinessUnit[], reports: readonly FolderReport[]): string[] {
  return reports.flatMap((r) => {
    const schema = units.find((u) => u.code === r.businessUnit)?.schema ?? '?';
    return [
      `    ${r.businessUnit.padEnd(8)} schema ${schema}, folder ${r.folder}: `
        + `${r.productFiles} product file${r.productFiles === 1 ? '' : 's'}, ${r.channelFile ? 'a channel file' : 'no channel file'}`,
      ...r.warnings.map((w) => `      !! ${w}`),
    ];
  });
}
