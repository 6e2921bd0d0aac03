// A process on a model host: its own user memory (struct mm_struct), its user (locked-memory
// accounting is per user, shared by that user's processes) and its file table. Exit closes
// every file and unmaps every mapping, in that order, as do_exit() does (exit_files before
// exit_mm is not the kernel's order, but the outcome the model checks is the same: nothing a
// device may still read is freed).

import type { HostPlatform } from '../platform/host.js';
import { MmStruct, UserStruct } from './mm.js';

/** What the file table holds: a file's release (the last close). */
export interface FileOps {
  release(): void;
}

const usersByHost = new WeakMap<HostPlatform, Map<number, UserStruct>>();

/** find_user(): one user_struct per uid and host. */
export function find_user(host: HostPlatform, uid: number): UserStruct {
  let m = usersByHost.get(host);
  if (!m) usersByHost.set(host, (m = new Map()));
  let u = m.get(uid);
  if (!u) m.set(uid, (u = new UserStruct(uid)));
  return u;
}

/** Every user_struct of a host (for leak checks: nothing may stay charged to anyone). */
export function all_users(host: HostPlatform): UserStruct[] {
  return [...(usersByHost.get(host)?.values() ?? [])];
}

/** RLIMIT_NOFILE's default soft limit. */
export const NR_OPEN_DEFAULT = 1024;

export class Process {
  readonly mm: MmStruct;
  private readonly files: (FileOps | undefined)[] = [];
  exited = false;
  /** capable(CAP_NET_ADMIN). */
  cap_net_admin = false;
  /**
   * The process's trust domain: whose data it may see (RX zero copy delivers a page only within
   * one). By default its uid: one user's processes are one domain.
   */
  domain: number;

  constructor(
    readonly host: HostPlatform,
    readonly pid: number,
    uid = 1000,
  ) {
    this.mm = new MmStruct(host, find_user(host, uid));
    this.domain = uid;
  }

  /** get_unused_fd + fd_install: the lowest free descriptor, or -1 when the table is full. */
  fd_install(f: FileOps): number {
    let fd = this.files.findIndex((x) => x === undefined);
    if (fd < 0) fd = this.files.length;
    if (fd >= NR_OPEN_DEFAULT) return -1;
    this.files[fd] = f;
    return fd;
  }

  fget(fd: number): FileOps | undefined {
    return Number.isInteger(fd) && fd >= 0 ? this.files[fd] : undefined;
  }

  /** close_fd(): false if fd was not open (EBADF). */
  close_fd(fd: number): boolean {
    const f = this.fget(fd);
    if (f === undefined) return false;
    this.files[fd] = undefined;
    f.release();
    return true;
  }

  /** do_exit(): close every file, then drop the address space. */
  exit(): void {
    if (this.exited) return;
    for (let fd = 0; fd < this.files.length; fd++) if (this.files[fd]) this.close_fd(fd);
    this.mm.exit_mmap();
    this.exited = true;
  }
}
