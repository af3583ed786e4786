// JavaKill.java - java kills the children it started (destroyForcibly checks their start time in /proc first).
public class JavaKill {
  public static void main(String[] a) throws Exception {
    for (int i = 0; i < 10; i++) {
      Process p = new ProcessBuilder("sleep", "10").start();
      Thread.sleep(50);
      p.destroyForcibly();
      System.out.println("exit " + p.waitFor());
    }
  }
}
