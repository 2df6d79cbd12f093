//! Progress bars on a terminal; silent when stderr is not one.

use std::io::IsTerminal;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

pub struct Bar {
    bar: ProgressBar,
}

impl Bar {
    pub fn new() -> Self {
        let bar = ProgressBar::hidden();
        if std::io::stderr().is_terminal() {
            bar.set_draw_target(ProgressDrawTarget::stderr());
        }
        Self { bar }
    }
}

impl humiao_pipeline::Progress for Bar {
    fn start(&self, file: &str, total: Option<u64>) {
        self.bar.reset();
        match total {
            Some(n) => {
                self.bar.set_length(n);
                self.bar.set_style(
                    ProgressStyle::with_template("{msg:30} [{bar:30}] {pos}/{len} 行 {eta}")
                        .expect("valid template")
                        .progress_chars("=> "),
                );
            }
            None => self.bar.set_style(
                ProgressStyle::with_template("{msg:30} {spinner} {pos} 行")
                    .expect("valid template"),
            ),
        }
        self.bar.set_message(file.to_string());
    }

    fn advance(&self, rows: u64) {
        self.bar.inc(rows);
    }

    fn finish(&self) {
        self.bar.finish_and_clear();
    }
}

impl humiao_link::Observer for Bar {
    fn stage(&self, name: &str, total: u64) {
        self.bar.reset();
        let label = match name {
            "blocking" => "分块 blocking",
            "comparing" => "比对 comparing",
            "estimating" => "估计参数 estimating (EM)",
            "clustering" => "聚类 clustering",
            other => other,
        };
        if total > 0 {
            self.bar.set_length(total);
            self.bar.set_style(
                ProgressStyle::with_template("{msg:28} [{bar:30}] {pos}/{len} {eta}")
                    .expect("valid template")
                    .progress_chars("=> "),
            );
        } else {
            self.bar.set_style(
                ProgressStyle::with_template("{msg:28} {spinner}").expect("valid template"),
            );
        }
        self.bar.set_message(label.to_string());
    }

    fn advance(&self, n: u64) {
        self.bar.inc(n);
    }
}
